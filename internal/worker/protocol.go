package worker

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ahoy-run/ahoy/internal/event"
)

// The frame header types. Go → Node: init, invoke, cancel, ping, exit.
// Node → Go: ready, pong, log, reply.

// initHeader is the first frame Go sends; the worker answers with ready.
type initHeader struct {
	Type    string      `json:"type"`
	Project initProject `json:"project"`
}

type initProject struct {
	Dir           string         `json:"dir"`
	Env           [][2]string    `json:"env"` // ordered pairs: .env order matters for context (R28)
	DomainName    string         `json:"domainName"`
	Functions     []initResource `json:"functions"`
	PrivateAssets []initResource `json:"privateAssets"`
	EventRequest  bool           `json:"eventRequest"`
}

type initResource struct {
	Key  string `json:"key"`
	File string `json:"file"`
}

// invokeHeader asks the worker to run a handler. The event parts travel in
// the body, not the header, so a large form or JSON body is not limited by
// the header size: Parts holds the byte length of each of headers, cookies,
// query, form and the JSON body, in that order, concatenated in the body
// (-1 for an absent part). JavaScript parses the JSON body itself (R18).
type invokeHeader struct {
	Type  string `json:"type"`
	ID    uint64 `json:"id"`
	Inv   string `json:"inv"`
	File  string `json:"file"`
	Rel   string `json:"rel"`
	Path  string `json:"path"`
	Parts [5]int `json:"parts"`
}

// encodeInvoke returns the invoke frame for inv: the same JSON as
// json.Marshal(invokeHeader{…}) and the parts as the body, built in one
// buffer without reflection (it runs once per request).
func encodeInvoke(id uint64, inv Invocation) ([]byte, error) {
	parts := [5][]byte{inv.Headers, inv.Cookies, inv.Query, inv.Form, inv.JSONBody}
	bodyLen := 0
	for _, p := range parts {
		bodyLen += len(p)
	}
	if bodyLen > maxBodyLen {
		return nil, fmt.Errorf("frame body of %d bytes exceeds %d", bodyLen, maxBodyLen)
	}
	b := make([]byte, 8, 8+128+len(inv.ID)+len(inv.File)+len(inv.Rel)+len(inv.Path)+bodyLen)
	b = append(b, `{"type":"invoke","id":`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `,"inv":`...)
	b = event.AppendJSONString(b, inv.ID)
	b = append(b, `,"file":`...)
	b = event.AppendJSONString(b, inv.File)
	b = append(b, `,"rel":`...)
	b = event.AppendJSONString(b, inv.Rel)
	b = append(b, `,"path":`...)
	b = event.AppendJSONString(b, inv.Path)
	b = append(b, `,"parts":[`...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, ',')
		}
		if p == nil {
			b = append(b, "-1"...)
		} else {
			b = strconv.AppendInt(b, int64(len(p)), 10)
		}
	}
	b = append(b, "]}"...)
	headerLen := len(b) - 8
	if headerLen > maxHeaderLen {
		return nil, fmt.Errorf("frame header of %d bytes exceeds %d", headerLen, maxHeaderLen)
	}
	binary.BigEndian.PutUint32(b[0:4], uint32(headerLen))
	binary.BigEndian.PutUint32(b[4:8], uint32(bodyLen))
	for _, p := range parts {
		b = append(b, p...)
	}
	return b, nil
}

type idHeader struct {
	Type string `json:"type"`
	ID   uint64 `json:"id"`
}

// inHeader is the union of every header a worker sends.
type inHeader struct {
	Type string `json:"type"`

	// ready
	Node   string `json:"node"`
	Twilio bool   `json:"twilio"`

	// log and reply
	ID *uint64 `json:"id"`

	// log
	Level    string `json:"level"` // the message is the body
	Inv      string `json:"inv"`
	Function string `json:"fn"`

	// reply
	Kind     string         `json:"kind"`
	BodyKind string         `json:"bodyKind"`
	Error    *FunctionError `json:"error"`
	status   int            // R48: 0 unless an integer
	headers  []Header
}

// UnmarshalJSON lets FunctionError be decoded from the worker's lower-case keys.
func (e *FunctionError) UnmarshalJSON(b []byte) error {
	var v struct {
		Name, Message, Stack string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = FunctionError{Name: v.Name, Message: v.Message, Stack: v.Stack}
	return nil
}

// decodeHeader decodes a frame header with encoding/json: the definition of
// what a worker may send, and headerDecoder's fallback.
func decodeHeader(b []byte) (*inHeader, error) {
	var wire struct {
		inHeader
		Status  json.RawMessage   `json:"status"`
		Headers []json.RawMessage `json:"headers"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	h := &wire.inHeader
	if err := checkHeader(h); err != nil {
		return nil, err
	}
	if h.Type == "reply" {
		h.status = decodeStatus(wire.Status)
		for _, raw := range wire.Headers {
			hd, err := decodeHeaderPair(raw)
			if err != nil {
				return nil, err
			}
			h.headers = append(h.headers, hd)
		}
	}
	return h, nil
}

// checkHeader refuses a header no worker sends.
func checkHeader(h *inHeader) error {
	switch h.Type {
	case "ready", "pong", "log", "reply":
	default:
		return fmt.Errorf("%w: unknown type %q", errMalformed, h.Type)
	}
	if h.Type == "reply" && h.ID == nil {
		return fmt.Errorf("%w: reply without id", errMalformed)
	}
	return nil
}

// toReply converts a reply header and body into the public Reply.
func (h *inHeader) toReply(body []byte) (*Reply, error) {
	r := &Reply{Error: h.Error}
	switch h.Kind {
	case "payload":
		r.Kind = Payload
	case "response":
		r.Kind = Response
	case "failure":
		r.Kind = Failure
	default:
		return nil, fmt.Errorf("%w: unknown reply kind %q", errMalformed, h.Kind)
	}
	switch h.BodyKind {
	case "none", "":
		r.BodyKind = BodyNone
	case "text":
		r.BodyKind = BodyText
	case "json":
		r.BodyKind = BodyJSON
	case "bytes":
		r.BodyKind = BodyBytes
	case "xml":
		r.BodyKind = BodyXML
	default:
		return nil, fmt.Errorf("%w: unknown body kind %q", errMalformed, h.BodyKind)
	}
	if r.BodyKind != BodyNone {
		r.Body = body
		if r.Body == nil {
			r.Body = []byte{}
		}
	}
	r.Status, r.Headers = h.status, h.headers
	return r, nil
}

// decodeStatus accepts only an integral JSON number; anything else (a string,
// 200.5, null) is 0 and the gateway rejects it (R48: no validation in JS).
func decodeStatus(raw []byte) int {
	if len(raw) == 0 {
		return 0
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0
	}
	return n
}

func decodeHeaderPair(raw json.RawMessage) (Header, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return Header{}, fmt.Errorf("%w: header entry %s is not a [name, value] pair", errMalformed, raw)
	}
	var h Header
	if err := json.Unmarshal(pair[0], &h.Name); err != nil {
		return Header{}, fmt.Errorf("%w: header name %s", errMalformed, pair[0])
	}
	var s string
	if err := json.Unmarshal(pair[1], &s); err == nil {
		h.Values = []string{s}
		return h, nil
	}
	if err := json.Unmarshal(pair[1], &h.Values); err != nil {
		return Header{}, fmt.Errorf("%w: header %q value %s", errMalformed, h.Name, pair[1])
	}
	h.Array = true
	if h.Values == nil {
		h.Values = []string{}
	}
	return h, nil
}
