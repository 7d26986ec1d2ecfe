package load

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: 2^subBits buckets per power of
// two, so a recorded latency is known to within 1/128 (< 0.8 %).
const subBits = 7

const (
	subCount = 1 << subBits // buckets per power of two
	exact    = 2 * subCount // values below this get a bucket each
	// numBuckets covers values up to 2^41 ns (about 36 minutes).
	numBuckets = exact + (41-subBits-1)*subCount
)

// Histogram is a log-linear latency histogram in nanoseconds (an HDR
// histogram in miniature): fine enough that p99 is exact to under 1 %, small
// enough (36 KB) to keep one per connection and merge cells across rounds
// without storing every latency. The zero value is not usable; use
// NewHistogram.
type Histogram struct {
	Counts []uint64 // per bucket; see bucketOf
	N      uint64   // values recorded
	Sum    int64    // their sum, ns (for the mean)
	Min    int64    // smallest value, ns (0 when N == 0)
	Max    int64    // largest value, ns
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{Counts: make([]uint64, numBuckets)} }

// bucketOf maps a value to its bucket: values below 256 ns exactly, larger
// ones by their top 8 significant bits.
func bucketOf(v int64) int {
	if v < exact {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits - 1
	i := exact + (shift-1)*subCount + int(v>>shift) - subCount
	if i >= numBuckets {
		return numBuckets - 1
	}
	return i
}

// bucketRange returns the smallest value in bucket i and the bucket's width.
func bucketRange(i int) (lo, width int64) {
	if i < exact {
		return int64(i), 1
	}
	shift := (i-exact)/subCount + 1
	mant := int64((i-exact)%subCount + subCount)
	return mant << shift, 1 << shift
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	h.Counts[bucketOf(v)]++
	if h.N == 0 || v < h.Min {
		h.Min = v
	}
	if v > h.Max {
		h.Max = v
	}
	h.N++
	h.Sum += v
}

// RecordN adds n latencies of d each (a histogram rebuilt from another
// tool's percentiles, such as wrk's).
func (h *Histogram) RecordN(d time.Duration, n uint64) {
	if n == 0 {
		return
	}
	v := int64(d)
	h.Counts[bucketOf(v)] += n
	if h.N == 0 || v < h.Min {
		h.Min = v
	}
	if v > h.Max {
		h.Max = v
	}
	h.N += n
	h.Sum += v * int64(n)
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.N == 0 {
		return
	}
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	if h.N == 0 || o.Min < h.Min {
		h.Min = o.Min
	}
	if o.Max > h.Max {
		h.Max = o.Max
	}
	h.N += o.N
	h.Sum += o.Sum
}

// Quantile returns the latency below which a fraction q of the values lie
// (nearest rank), as the middle of its bucket clamped to [Min, Max]; 0 when
// empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.N == 0 {
		return 0
	}
	rank := uint64(q*float64(h.N) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > h.N {
		rank = h.N
	}
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			lo, w := bucketRange(i)
			v := min(max(lo+w/2, h.Min), h.Max)
			return time.Duration(v)
		}
	}
	return time.Duration(h.Max)
}

// Mean returns the average latency; 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.N == 0 {
		return 0
	}
	return time.Duration(h.Sum / int64(h.N))
}

// Sparse returns the non-empty buckets as [lowest ns in bucket, count]
// pairs, the form the runner writes to its raw output.
func (h *Histogram) Sparse() [][2]int64 {
	var out [][2]int64
	for i, c := range h.Counts {
		if c != 0 {
			lo, _ := bucketRange(i)
			out = append(out, [2]int64{lo, int64(c)})
		}
	}
	return out
}
