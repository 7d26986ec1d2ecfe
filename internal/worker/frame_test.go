package worker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"reflect"
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
			// As readFrames does: the decoder validates the header's JSON.
			f, err := readFrame(bufio.NewReader(bytes.NewReader(c.in)))
			if err == nil {
				var d headerDecoder
				_, err = d.decode(f.Header)
			}
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
		t.Run(c.name+"/encoding-json", func(t *testing.T) { checkDecode(t, decodeHeader, c.header, c.want, c.wantErr) })
		var d headerDecoder
		t.Run(c.name+"/fast", func(t *testing.T) { checkDecode(t, d.decode, c.header, c.want, c.wantErr) })
	}
}

// checkDecode decodes header with decode and compares the reply with want.
func checkDecode(t *testing.T, decode func([]byte) (*inHeader, error), header string, want Reply, wantErr bool) {
	t.Helper()
	h, err := decode([]byte(header))
	var r *Reply
	if err == nil {
		r, err = h.toReply([]byte("b"))
	}
	if wantErr {
		if !errors.Is(err, errMalformed) {
			t.Fatalf("got %v, want errMalformed", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if want.BodyKind == BodyNone {
		want.Body = nil
	}
	gotJSON, _ := json.Marshal(r)
	wantJSON, _ := json.Marshal(&want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Fatalf("got %s\nwant %s", gotJSON, wantJSON)
	}
}

// FuzzDecodeHeader checks that the fast decoder and encoding/json agree on
// every header: the same reply, or both an error.
func FuzzDecodeHeader(f *testing.F) {
	f.Add(`{"type":"reply","id":1,"kind":"response","bodyKind":"text","status":201,"headers":[["A","1"],["Set-Cookie",["x=1","y=2"]]]}`)
	f.Add(`{"type":"reply","id":7,"kind":"failure","bodyKind":"none","error":{"name":"E","message":"m\u00e9\ud800","stack":"s"}}`)
	f.Add(`{"type":"log","id":null,"level":"info","inv":"RQ1","fn":"/x"}`)
	f.Add(`{"type":"ready","node":"v20","twilio":true}`)
	f.Add(`{"type":"log","id":1,"level":"info","status":201,"headers":[["A","1"]]}`)
	f.Add(`{"type":"reply","id":1,"kind":"response","bodyKind":"none","status":null,"headers":[["A",[null,"b"]]],"Kind":"x"}`)
	f.Fuzz(func(t *testing.T, header string) {
		var d headerDecoder
		slow, errSlow := decodeHeader([]byte(header))
		fast, errFast := d.decode([]byte(header))
		if (errSlow == nil) != (errFast == nil) {
			t.Fatalf("encoding/json error %v, fast error %v", errSlow, errFast)
		}
		if errSlow != nil {
			return
		}
		rs, errS := slow.toReply([]byte("b"))
		rf, errF := fast.toReply([]byte("b"))
		if (errS == nil) != (errF == nil) {
			t.Fatalf("toReply: encoding/json error %v, fast error %v", errS, errF)
		}
		gs, _ := json.Marshal(rs)
		gf, _ := json.Marshal(rf)
		if !bytes.Equal(gs, gf) {
			t.Fatalf("encoding/json %s\nfast %s", gs, gf)
		}
		ss, _ := json.Marshal(slow)
		sf, _ := json.Marshal(fast)
		if !bytes.Equal(ss, sf) {
			t.Fatalf("headers differ:\nencoding/json %s\nfast %s", ss, sf)
		}
	})
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

// TestEncodeInvokeMatchesJSON checks the hand-written invoke encoder against
// encoding/json, for names that need escaping too.
func TestEncodeInvokeMatchesJSON(t *testing.T) {
	inv := Invocation{
		ID: "RQ0123", File: "/srv/app/functions/\"quoted\"\\back\u2028é\x01.js", Rel: "functions/x.js", Path: "/x",
		Headers: []byte(`{"a":"b"}`), Query: []byte(`{}`), JSONBody: []byte(`[1]`),
	}
	got, err := encodeInvoke(42, inv)
	if err != nil {
		t.Fatal(err)
	}
	h := invokeHeader{Type: "invoke", ID: 42, Inv: inv.ID, File: inv.File, Rel: inv.Rel, Path: inv.Path, Parts: [5]int{9, -1, 2, -1, 3}}
	hdr, _ := json.Marshal(h)
	want, _ := encodeFrame(hdr, []byte(`{"a":"b"}{}[1]`))
	fr, err := readFrame(bufio.NewReader(bytes.NewReader(got)))
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal(fr.Header, &a)
	json.Unmarshal(hdr, &b)
	if !reflect.DeepEqual(a, b) || !bytes.Equal(fr.Body, []byte(`{"a":"b"}{}[1]`)) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
