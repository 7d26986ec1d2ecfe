// Package load is a lean closed-loop HTTP/1.1 load generator for the
// side-by-side benchmark (bench/runner). It shares the machine's cores with
// the servers it measures, so it does as little work per request as it can:
// each connection writes the same pre-built request bytes over a raw
// keep-alive net.Conn and parses only what it must of the response (the
// status line, Content-Length or chunked framing, Connection: close), and
// latencies go into a fixed-size histogram instead of a growing slice.
package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options describes one load cell: Conns connections sending Request to Addr
// back to back for Duration.
type Options struct {
	Addr     string        // host:port
	Request  []byte        // a complete request, e.g. from NewGET
	Conns    int           // concurrent keep-alive connections (each one request at a time)
	Duration time.Duration // how long to send; requests still in flight then are cut
	Timeout  time.Duration // per request (connect, write and read); 10s when zero
}

// Result is what one cell measured. Only 2xx responses count as OK and only
// their latencies are recorded; everything else is counted by kind.
type Result struct {
	Conns    int           `json:"conns"`
	Duration time.Duration `json:"duration_ns"` // the configured duration: OK/Duration is the rate

	OK     int64         `json:"ok"`      // 2xx responses
	Non2xx int64         `json:"non_2xx"` // complete responses with another status
	Status map[int]int64 `json:"status"`  // the non-2xx ones by status code

	ConnectErrors int64 `json:"connect_errors"` // dial failures (the worker backs off 10 ms and retries)
	IOErrors      int64 `json:"io_errors"`      // write/read failures and malformed responses (then a reconnect)
	Timeouts      int64 `json:"timeouts"`       // requests with no complete response within Timeout
	Unfinished    int64 `json:"unfinished"`     // requests cut by the end of the cell (not errors)

	Latency *Histogram `json:"-"` // of OK responses, from writing the request to its last byte
}

// Errors is the number of failed requests: connect errors, I/O errors and
// timeouts.
func (r *Result) Errors() int64 { return r.ConnectErrors + r.IOErrors + r.Timeouts }

// RPS is OK responses per second.
func (r *Result) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.OK) / r.Duration.Seconds()
}

// Merge adds o's counts and latencies to r and its duration to r's, so the
// rate of a merged result is the rate over all merged cells.
func (r *Result) Merge(o *Result) {
	r.Duration += o.Duration
	r.OK += o.OK
	r.Non2xx += o.Non2xx
	for code, n := range o.Status {
		if r.Status == nil {
			r.Status = map[int]int64{}
		}
		r.Status[code] += n
	}
	r.ConnectErrors += o.ConnectErrors
	r.IOErrors += o.IOErrors
	r.Timeouts += o.Timeouts
	r.Unfinished += o.Unfinished
	if r.Latency == nil {
		r.Latency = NewHistogram()
	}
	r.Latency.Merge(o.Latency)
}

// NewGET builds the bytes of a keep-alive GET request for target (path and
// query) on host, with the given extra header lines ("Name: value").
func NewGET(host, target string, headers ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", target, host)
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// Run sends load as o describes and returns what it measured. It returns
// after o.Duration (plus at most the time to notice it).
func Run(o Options) *Result {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	end := time.Now().Add(o.Duration)
	results := make([]*Result, o.Conns)
	var wg sync.WaitGroup
	for i := range o.Conns {
		wg.Go(func() { results[i] = runConn(o, end) })
	}
	wg.Wait()
	total := &Result{Conns: o.Conns, Duration: o.Duration, Status: map[int]int64{}, Latency: NewHistogram()}
	for _, r := range results {
		r.Duration = 0
		total.Merge(r)
	}
	return total
}

// runConn is one closed-loop client: one request at a time on one
// connection, reconnecting after errors, until end.
func runConn(o Options, end time.Time) *Result {
	r := &Result{Status: map[int]int64{}, Latency: NewHistogram()}
	var (
		conn net.Conn
		br   *bufio.Reader
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	drop := func() {
		if conn != nil {
			conn.Close()
			conn = nil
		}
	}
	for {
		now := time.Now()
		if !now.Before(end) {
			return r
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", o.Addr, min(o.Timeout, end.Sub(now)))
			if err != nil {
				if time.Now().Before(end) {
					r.ConnectErrors++
					time.Sleep(10 * time.Millisecond) // a refusing server must not make us spin
				}
				continue
			}
			conn = c
			if br == nil {
				br = bufio.NewReaderSize(conn, 32<<10)
			} else {
				br.Reset(conn)
			}
		}
		start := time.Now()
		// The deadline is the request's timeout or the end of the cell,
		// whichever is first: a request cut by the end is Unfinished, not a
		// timeout, and the cell never runs over.
		deadline := start.Add(o.Timeout)
		cut := false
		if end.Before(deadline) {
			deadline, cut = end, true
		}
		_ = conn.SetDeadline(deadline)
		if _, err := conn.Write(o.Request); err != nil {
			r.countFailure(err, cut)
			drop()
			continue
		}
		status, closeConn, _, err := ReadResponse(br, false)
		if err != nil {
			r.countFailure(err, cut)
			drop()
			continue
		}
		if status >= 200 && status < 300 {
			r.OK++
			r.Latency.Record(time.Since(start))
		} else {
			r.Non2xx++
			r.Status[status]++
		}
		if closeConn {
			drop()
		}
	}
}

// countFailure classifies a failed request.
func (r *Result) countFailure(err error, cut bool) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && cut:
		r.Unfinished++
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.Timeouts++
	default:
		r.IOErrors++
	}
}

// errMalformed is a response this parser cannot frame.
var errMalformed = errors.New("malformed HTTP response")

// ReadResponse reads one HTTP/1.x response from br: its status, whether the
// server will close the connection after it, and (only when keepBody) its
// body; otherwise the body is discarded without copying. It understands
// Content-Length, chunked transfer coding and bodies delimited by EOF, which
// is all an HTTP/1.1 server may send in reply to a GET.
func ReadResponse(br *bufio.Reader, keepBody bool) (status int, closeConn bool, body []byte, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, nil, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, nil, errMalformed
	}
	code, ok := parseDecimal(line[9:12])
	if !ok || code < 100 {
		return 0, false, nil, errMalformed
	}
	status = int(code)
	closeConn = line[7] == '0' // HTTP/1.0 closes unless told otherwise
	contentLength, chunked := int64(-1), false
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, false, nil, err
		}
		if len(line) <= 2 { // the blank line ending the header
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return 0, false, nil, errMalformed
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		// Only three headers matter; check the length first so most lines
		// cost one comparison.
		switch len(name) {
		case len("content-length"):
			if bytes.EqualFold(name, []byte("content-length")) {
				n, ok := parseDecimal(value)
				if !ok {
					return 0, false, nil, errMalformed
				}
				contentLength = n
			}
		case len("connection"):
			if bytes.EqualFold(name, []byte("connection")) {
				closeConn = bytes.EqualFold(value, []byte("close"))
			}
		case len("transfer-encoding"):
			if bytes.EqualFold(name, []byte("transfer-encoding")) {
				chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
			}
		}
	}
	var sink io.Writer = io.Discard
	var buf *bytes.Buffer
	if keepBody {
		buf = new(bytes.Buffer)
		sink = buf
	}
	switch {
	case status < 200 || status == 204 || status == 304:
		// no body
	case chunked:
		err = readChunked(br, sink)
	case contentLength >= 0:
		if keepBody {
			_, err = io.CopyN(sink, br, contentLength)
		} else {
			_, err = br.Discard(int(contentLength))
		}
	default:
		_, err = io.Copy(sink, br) // delimited by the end of the connection
		closeConn = true
	}
	if err != nil {
		return 0, false, nil, err
	}
	if buf != nil {
		body = buf.Bytes()
	}
	return status, closeConn, body, nil
}

// readChunked copies a chunked body to w, dropping chunk extensions and
// trailers.
func readChunked(br *bufio.Reader, w io.Writer) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		s := strings.TrimSpace(string(line))
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		size, err := strconv.ParseInt(s, 16, 64)
		if err != nil || size < 0 {
			return errMalformed
		}
		if size == 0 {
			for { // trailers up to the blank line
				line, err = br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(line) <= 2 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(w, br, size); err != nil {
			return err
		}
		if _, err := br.Discard(2); err != nil { // CRLF after the data
			return err
		}
	}
}

// parseDecimal parses a Content-Length value without allocating.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
