// Package worker runs Twilio Functions in warm Node.js processes.
//
// A Pool starts N Node processes, each running the embedded runtime script
// (js/worker.js). Go and each process talk over two inherited pipes with
// length-prefixed frames, so nothing user code prints can corrupt the channel.
// Each process serves many invocations at once; Invoke picks the process with
// the fewest in flight. A process that exits, stops answering heartbeats or
// sends a malformed frame is killed (its whole process group) and replaced;
// every invocation that was on it fails with ErrWorkerExited.
package worker

import (
	"encoding/json"
	"errors"
	"log/slog"
	"time"
)

// Sentinel errors returned by Invoke and Start.
var (
	// ErrWorkerExited means the Node process running the invocation died or
	// was killed before the Function called back.
	ErrWorkerExited = errors.New("the worker running this Function exited")
	// ErrClosed means the pool is shutting down and accepts no new invocations.
	ErrClosed = errors.New("the worker pool is shut down")
)

// Options configures a Pool. The zero value of every field but Node and
// Project has a sensible default.
type Options struct {
	Node      string        // path of the node binary; "" means "node" on PATH
	Count     int           // number of processes; <= 0 means runtime.NumCPU()
	MemoryMB  int           // V8 old-space limit per process (--max-old-space-size); 0 = Node's default
	Heartbeat time.Duration // ping interval; 0 means 500ms
	// Unresponsive is how long a process may leave pings unanswered (a
	// blocked event loop) before it is killed; 0 means 10s.
	Unresponsive time.Duration
	Project      Project
	Logger       *slog.Logger // nil means slog.Default()
	// StartTimeout bounds the wait for a new process's ready frame; 0 means 15s.
	StartTimeout time.Duration
}

// Project is what every worker process needs to know about the project.
type Project struct {
	Dir        string   // absolute project directory (node_modules is resolved from here)
	Env        []EnvVar // .env values, in file order: context.* and process.env (R28, R31)
	DomainName string   // context.DOMAIN_NAME
	// Functions lists every Function (all visibilities) for Runtime.getFunctions() (R33).
	Functions []Resource
	// PrivateAssets lists the private Assets for Runtime.getAssets() (R33).
	PrivateAssets []Resource
	// EventRequest is true for @twilio/runtime-handler >= 1.2.0: event.request is
	// present and Response.setCookie/removeCookie exist (R21, R74).
	EventRequest bool
}

// EnvVar is one environment variable.
type EnvVar struct{ Key, Value string }

// Resource names a file for the Runtime helpers.
type Resource struct {
	Key  string // "sms/reply" for Functions, "/data/config.json" for Assets
	File string // absolute path
}

// Invocation is one call of a Function handler.
type Invocation struct {
	ID   string // request id, attached to the log records of this invocation
	File string // absolute path of the Function's file
	Rel  string // the file relative to the project (used in error messages instead of File)
	Path string // context.PATH (R28)
	// The parts of event (R16): event = {request: {headers, cookies}, ...Query, ...Form or JSONBody}.
	Headers  json.RawMessage // JSON object; ignored when !Project.EventRequest
	Cookies  json.RawMessage // JSON object; ignored when !Project.EventRequest
	Query    json.RawMessage // JSON object or nil
	Form     json.RawMessage // JSON object or nil
	JSONBody []byte          // raw JSON text (object or array, already validated) or nil; parsed by JavaScript so numbers keep their exact value
}

// ReplyKind says what the Function called back with.
type ReplyKind int

const (
	// Payload: callback(null, value) with a value that is not a Twilio.Response.
	Payload ReplyKind = iota
	// Response: callback(null, twilioResponse).
	Response
	// Failure: callback(err), a throw, a rejected promise, a missing handler or a load error.
	Failure
)

// BodyKind says how Body was produced, so the gateway can choose a Content-Type.
type BodyKind int

const (
	BodyNone  BodyKind = iota // null/undefined: empty body
	BodyText                  // a JavaScript string (UTF-8)
	BodyJSON                  // JSON.stringify of an object, array, number, boolean, Date…
	BodyBytes                 // a Buffer / Uint8Array, sent as is
	BodyXML                   // a TwiML object's toString()
)

// Header is one response header as the Function set it.
type Header struct {
	Name   string   // as the Function spelled it
	Values []string // numbers are already stringified
	Array  bool     // the value was a JavaScript array (R57: 82009 below runtime-handler 1.2.0)
}

// FunctionError describes a Failure.
type FunctionError struct {
	Name    string // "Error", "TypeError", … ("" when the value was not an Error)
	Message string
	Stack   string
}

// Reply is the outcome of an invocation.
type Reply struct {
	Kind ReplyKind
	// Status is the Response's status code as set by setStatusCode (Response
	// only); 0 when it was not an integer. The gateway validates the range.
	Status   int
	Headers  []Header // Response only, in the order they were first set
	BodyKind BodyKind
	Body     []byte
	// Error is set for Failure when the value was an Error (or thrown). For
	// callback('text') Error is nil, BodyKind is BodyText; for callback({…})
	// Error is nil and BodyKind is BodyJSON.
	Error *FunctionError
}
