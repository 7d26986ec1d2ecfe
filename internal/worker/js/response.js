'use strict';
// Twilio.Response (spec §6, R47–R53), with two twilio-run bugs fixed:
// header names match case-insensitively for every header (twilio-run drops
// one of `X-Case`/`x-case`), and a lowercase `set-cookie` given to the
// constructor is kept.

const COOKIE_METHODS_MISSING = (m) =>
  `${m} is not available: it needs @twilio/runtime-handler 1.2.0 or newer in package.json`;

function createResponseClass({ cookies }) {
  class Response {
    constructor(options) {
      const { statusCode, body, headers } = options || {};
      this.statusCode = 200;
      this.body = null;
      // lower-case name → {name, value (string|array), list?: bool}
      this._headers = new Map();
      // R47: statusCode and body only when truthy.
      if (statusCode) this.statusCode = statusCode;
      if (body) this.body = body;
      if (headers && typeof headers === 'object') {
        for (const [k, v] of Object.entries(headers)) this.appendHeader(k, v);
      }
    }

    setStatusCode(code) {
      this.statusCode = code; // R48: no validation here
      return this;
    }

    setBody(body) {
      this.body = body; // R49
      return this;
    }

    // R51: a non-object is a no-op; otherwise every header (cookies included) is replaced.
    setHeaders(headers) {
      if (headers === null || typeof headers !== 'object') return this;
      this._headers = new Map();
      for (const [k, v] of Object.entries(headers)) this.appendHeader(k, v);
      return this;
    }

    // R50.
    appendHeader(name, value) {
      if (value === null || (typeof value === 'object' && !Array.isArray(value))) {
        throw new Error('Header value cannot be an object');
      }
      const key = String(name).toLowerCase();
      const existing = this._headers.get(key);
      // Entries share one shape ({name, value, list, array}) so V8 keeps
      // these methods monomorphic; they run several times per request.
      if (key === 'set-cookie') {
        const entry = existing || { name: 'Set-Cookie', value: [], list: true, array: false };
        if (Array.isArray(value)) {
          for (const v of value) entry.value.push(v);
          entry.array = true;
        } else {
          entry.value.push(value);
        }
        if (!existing) this._headers.set(key, entry);
        return this;
      }
      if (!existing) {
        const copy = Array.isArray(value) ? [...value] : value;
        this._headers.set(key, { name: String(name), value: copy, list: false, array: false });
      } else {
        existing.value = [existing.value, value].flat();
      }
      return this;
    }

    // R52.
    setCookie(name, value, attributes = []) {
      if (!cookies) throw new Error(COOKIE_METHODS_MISSING('setCookie'));
      const attrs = Array.isArray(attributes) && attributes.length ? ';' + attributes.join(';') : '';
      return this.appendHeader('Set-Cookie', `${name}=${value}${attrs}`);
    }

    // R53.
    removeCookie(name) {
      if (!cookies) throw new Error(COOKIE_METHODS_MISSING('removeCookie'));
      const entry = this._headers.get('set-cookie');
      if (entry) {
        entry.value = entry.value.filter((c) => typeof c === 'string' && !c.startsWith(`${name}=`));
      }
      return this.appendHeader('Set-Cookie', `${name}=;Max-Age=0`);
    }

    // A read-only view for code that inspects response.headers (twilio-run exposes it).
    get headers() {
      const out = { 'Set-Cookie': [] };
      for (const h of this._headers.values()) out[h.name] = h.value;
      return out;
    }

    // _serialize gives the Go side status, headers in first-set order as
    // [name, string|string[]], and the raw body value.
    _serialize() {
      const headers = [];
      for (const h of this._headers.values()) {
        if (h.list) {
          const values = h.value.map(String);
          if (values.length === 0) continue; // R57: an empty list is omitted
          headers.push([h.name, values.length === 1 && !h.array ? values[0] : values]);
        } else {
          headers.push([h.name, Array.isArray(h.value) ? h.value.map(String) : String(h.value)]);
        }
      }
      return { status: this.statusCode, headers, body: this.body };
    }
  }
  return Response;
}

module.exports = { createResponseClass };
