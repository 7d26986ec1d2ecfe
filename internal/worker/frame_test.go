package worker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func rawFrame(hl, bl uint32, rest string) []byte {
	b := make([]byte, 8, 8+len(rest))
	binary.BigEndian.PutUint32(b[0:4], hl)
	binary.BigEndian.PutUint32(b[4:8], bl)
	return append(b, rest...)
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	frames := []frame{
		{Header: []byte(`{"type":"pong"}`)},
		{Header: []byte(`{"type":"reply","id":1}`), Body: []byte("body\x00\xff")},
		{Header: []byte(`{"type":"log","msg":"` + strings.Repeat("x", 100000) + `"}`), Body: bytes.Repeat([]byte{1}, 200000)},
	}
	for _, f := range frames {
		if err := writeFrame(&buf, f.Header, f.Body); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(&buf)
	for i, want := range frames {
		got, err := readFrame(r)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got.Header, want.Header) || !bytes.Equal(got.Body, want.Body) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if _, err := readFrame(r); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestReadFrameErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated prefix", []byte{0, 0, 0}, io.ErrUnexpectedEOF},
		{"truncated header", rawFrame(10, 0, `{"a"`), io.ErrUnexpectedEOF},
		{"truncated body", rawFrame(2, 10, `{}abc`), io.ErrUnexpectedEOF},
		{"zero header", rawFrame(0, 0, ""), errMalformed},
		{"header too long", rawFrame(maxHeaderLen+1, 0, ""), errMalformed},
		{"body too long", rawFrame(2, maxBodyLen+1, "{}"), errMalformed},
		{"header not json", rawFrame(3, 0, "{x}"), errMalformed},
		{"header not an object", rawFrame(2, 0, "[]"), errMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readFrame(bufio.NewReader(bytes.NewReader(c.in)))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestWriteFrameLimits(t *testing.T) {
	if err := writeFrame(io.Discard, make([]byte, maxHeaderLen+1), nil); err == nil {
		t.Error("oversized header accepted")
	}
	if err := writeFrame(io.Discard, []byte(`{}`), make([]byte, maxBodyLen+1)); err == nil {
		t.Error("oversized body accepted")
	}
}

func TestDecodeReply(t *testing.T) {
	cases := []struct {
		name    string
		header  string
		want    Reply
		wantErr bool
	}{
		{"response", `{"type":"reply","id":1,"kind":"response","bodyKind":"text","status":201,"headers":[["A","1"],["Set-Cookie",["x=1","y=2"]]]}`,
			Reply{Kind: Response, Status: 201, BodyKind: BodyText, Body: []byte("b"), Headers: []Header{{Name: "A", Values: []string{"1"}}, {Name: "Set-Cookie", Values: []string{"x=1", "y=2"}, Array: true}}}, false},
		{"R48 string status is 0", `{"type":"reply","id":1,"kind":"response","bodyKind":"none","status":"200"}`, Reply{Kind: Response}, false},
		{"R48 fraction status is 0", `{"type":"reply","id":1,"kind":"response","bodyKind":"none","status":1.5}`, Reply{Kind: Response}, false},
		{"failure", `{"type":"reply","id":1,"kind":"failure","bodyKind":"none","error":{"name":"E","message":"m","stack":"s"}}`,
			Reply{Kind: Failure, Error: &FunctionError{Name: "E", Message: "m", Stack: "s"}}, false},
		{"unknown kind", `{"type":"reply","id":1,"kind":"what","bodyKind":"none"}`, Reply{}, true},
		{"unknown body kind", `{"type":"reply","id":1,"kind":"payload","bodyKind":"what"}`, Reply{}, true},
		{"bad header pair", `{"type":"reply","id":1,"kind":"response","bodyKind":"none","headers":[["A"]]}`, Reply{}, true},
		{"bad header value", `{"type":"reply","id":1,"kind":"response","bodyKind":"none","headers":[["A",{}]]}`, Reply{}, true},
		{"no id", `{"type":"reply","kind":"payload","bodyKind":"none"}`, Reply{}, true},
		{"unknown type", `{"type":"nope"}`, Reply{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := decodeHeader([]byte(c.header))
			var r *Reply
			if err == nil {
				r, err = h.toReply([]byte("b"))
			}
			if c.wantErr {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("got %v, want errMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want.BodyKind == BodyNone {
				c.want.Body = nil
			}
			gotJSON, _ := json.Marshal(r)
			wantJSON, _ := json.Marshal(&c.want)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Fatalf("got %s\nwant %s", gotJSON, wantJSON)
			}
		})
	}
}

// FuzzReadFrame checks that no input panics the reader and that every frame
// it accepts re-encodes to exactly the bytes it consumed.
func FuzzReadFrame(f *testing.F) {
	f.Add(rawFrame(15, 0, `{"type":"pong"}`))
	f.Add(rawFrame(2, 3, `{}abc`))
	f.Add(rawFrame(0xffffffff, 0, ""))
	f.Add(rawFrame(3, 0, "{x}"))
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		consumed := 0
		for {
			fr, err := readFrame(r)
			if err != nil {
				return
			}
			enc, err := encodeFrame(fr.Header, fr.Body)
			if err != nil {
				t.Fatalf("accepted frame does not re-encode: %v", err)
			}
			if !bytes.Equal(enc, data[consumed:consumed+len(enc)]) {
				t.Fatalf("re-encoded frame differs from input")
			}
			consumed += len(enc)
			if h, err := decodeHeader(fr.Header); err == nil && h.Type == "reply" {
				h.toReply(fr.Body) // must not panic
			}
		}
	})
}
