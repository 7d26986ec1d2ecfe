// Package event turns the parts of an HTTP request into the pieces of a
// Function's `event` object (spec §2, R16–R25): the query string (qs
// semantics, R17), urlencoded and JSON bodies (body-parser semantics, R18),
// request headers (R22–R24) and cookies (R25).
//
// Everything here is pure and allocation-conscious because it runs on every
// request. Each parser returns compact JSON text that a Node worker will
// JSON.parse. Object keys are written in the order JavaScript itself
// enumerates them (array-index keys such as "0" or "42" first, ascending,
// then the other keys in first-appearance order), so the text is exactly what
// JSON.stringify would print for the object twilio-run builds. Strings are
// escaped the way JSON.stringify escapes them (no HTML escaping).
package event
