package worker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame limits. A header is a small JSON object; a body carries a request or
// response payload, so it is bounded by the largest body Ahoy accepts plus slack.
const (
	maxHeaderLen = 1 << 20  // 1 MiB
	maxBodyLen   = 64 << 20 // 64 MiB
)

// errMalformed marks frames that break the protocol (as opposed to a channel
// that simply ended); the pool kills a worker that sends one.
var errMalformed = errors.New("malformed frame")

// frame is one message on the Go↔Node channel:
// [4-byte BE header length][4-byte BE body length][header JSON][body bytes].
type frame struct {
	Header []byte // a JSON object with at least a "type" member
	Body   []byte
}

// writeFrame encodes f onto w in a single Write call, so that concurrent
// writers serialised by the caller never interleave partial frames.
func writeFrame(w io.Writer, header, body []byte) error {
	b, err := encodeFrame(header, body)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// encodeFrame returns the wire form of a frame.
func encodeFrame(header, body []byte) ([]byte, error) {
	if len(header) > maxHeaderLen {
		return nil, fmt.Errorf("frame header of %d bytes exceeds %d", len(header), maxHeaderLen)
	}
	if len(body) > maxBodyLen {
		return nil, fmt.Errorf("frame body of %d bytes exceeds %d", len(body), maxBodyLen)
	}
	b := make([]byte, 8, 8+len(header)+len(body))
	binary.BigEndian.PutUint32(b[0:4], uint32(len(header)))
	binary.BigEndian.PutUint32(b[4:8], uint32(len(body)))
	b = append(b, header...)
	b = append(b, body...)
	return b, nil
}

// readFrame reads one frame. It returns io.EOF when r ends cleanly between
// frames, io.ErrUnexpectedEOF when it ends inside one, and an error wrapping
// errMalformed when the lengths or the header are invalid.
func readFrame(r *bufio.Reader) (frame, error) {
	var prefix [8]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return frame{}, err
	}
	hl := binary.BigEndian.Uint32(prefix[0:4])
	bl := binary.BigEndian.Uint32(prefix[4:8])
	if hl == 0 || hl > maxHeaderLen {
		return frame{}, fmt.Errorf("%w: header length %d", errMalformed, hl)
	}
	if bl > maxBodyLen {
		return frame{}, fmt.Errorf("%w: body length %d", errMalformed, bl)
	}
	hdr, err := readN(r, int64(hl))
	if err != nil {
		return frame{}, err
	}
	if !isJSONObject(hdr) {
		return frame{}, fmt.Errorf("%w: header is not a JSON object", errMalformed)
	}
	var body []byte
	if bl > 0 {
		if body, err = readN(r, int64(bl)); err != nil {
			return frame{}, err
		}
	}
	return frame{Header: hdr, Body: body}, nil
}

// readN reads exactly n bytes without trusting n for the allocation, so a
// bogus length cannot make us allocate 64 MiB for a few bytes of input.
func readN(r io.Reader, n int64) ([]byte, error) {
	if n <= 64<<10 {
		// The common case, a frame of a few hundred bytes: one exact
		// allocation, no copying through a bytes.Buffer.
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return b, nil
	}
	var buf bytes.Buffer
	buf.Grow(int(min(n, 64<<10)))
	got, err := io.CopyN(&buf, r, n)
	if got < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

// isJSONObject is a first look: the header decoder validates the whole
// header anyway, so a full scan here would only be done twice.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}
