'use strict';
// Ahoy's Node.js worker runtime: runs Twilio Functions for the Go pool.
//
// Channel: fd 3 carries frames from Go, fd 4 frames to Go. A frame is
// [u32 BE header length][u32 BE body length][JSON header][raw body].
// stdout and stderr belong to user code; nothing here writes to them.

const net = require('node:net');
const fs = require('node:fs');
const util = require('node:util');
const { AsyncLocalStorage } = require('node:async_hooks');
const { createResponseClass } = require('./response.js');

const als = new AsyncLocalStorage();

// ---- channel -------------------------------------------------------------

const output = new net.Socket({ fd: 4, readable: false, writable: true });
output.on('error', () => process.exit(1)); // Go is gone

// Go's frame limits (frame.go); a frame over them would get the worker killed.
const MAX_HEADER = 1 << 20;
const MAX_BODY = 64 << 20;

function send(header, body) {
  let h = JSON.stringify(header);
  let hl = Buffer.byteLength(h, 'utf8');
  let b = body == null ? null : body;
  if (header.type === 'reply' && (hl > MAX_HEADER || (b && b.length > MAX_BODY))) {
    const what = hl > MAX_HEADER ? 'headers are larger than 1 MiB' : 'body is larger than 64 MiB';
    const e = new Error(`the Function's response ${what}`);
    h = JSON.stringify({ type: 'reply', id: header.id, ...failureReply(e) });
    hl = Buffer.byteLength(h, 'utf8');
    b = null;
  }
  const bl = b ? b.length : 0;
  // One buffer per frame: a single stream keeps writes ordered and whole.
  const frame = Buffer.allocUnsafe(8 + hl + bl);
  frame.writeUInt32BE(hl, 0);
  frame.writeUInt32BE(bl, 4);
  frame.write(h, 8, hl, 'utf8');
  if (bl) frame.set(b, 8 + hl);
  // Frames written in the same tick (replies to a batch of invocations Go
  // sent in one write) leave in one writev(2) instead of one write each.
  if (!corked) {
    corked = true;
    output.cork();
    process.nextTick(uncork);
  }
  output.write(frame);
}

let corked = false;
function uncork() {
  if (!corked) return;
  corked = false;
  output.uncork();
}
// process.exit() (the user's, or ours on an exit frame) must not drop the
// frames of this tick, such as the log line printed just before it.
process.on('exit', uncork);

const input = new net.Socket({ fd: 3, readable: true, writable: false, allowHalfOpen: true });
input.on('end', () => process.exit(0)); // Go closed the channel: shut down
input.on('error', () => process.exit(1));

// Frame reassembly without quadratic copying: chunks are joined only once a
// whole frame is buffered.
let chunks = [];
let buffered = 0;
input.on('data', (chunk) => {
  chunks.push(chunk);
  buffered += chunk.length;
  for (;;) {
    if (buffered < 8) return;
    let head = chunks[0];
    if (head.length < 8) {
      head = Buffer.concat(chunks);
      chunks = [head];
    }
    const hl = head.readUInt32BE(0);
    const bl = head.readUInt32BE(4);
    const total = 8 + hl + bl;
    if (buffered < total) return;
    const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const header = JSON.parse(all.toString('utf8', 8, 8 + hl));
    const body = all.subarray(8 + hl, total);
    const rest = all.subarray(total);
    chunks = rest.length ? [rest] : [];
    buffered = rest.length;
    dispatch(header, body);
  }
});

function dispatch(h, body) {
  switch (h.type) {
    case 'init':
      init(h.project);
      break;
    case 'ping':
      send({ type: 'pong' });
      break;
    case 'invoke':
      invoke(h, body);
      break;
    case 'cancel': {
      const st = inflight.get(h.id);
      if (st) {
        st.cancelled = true;
        inflight.delete(h.id);
      }
      break;
    }
    case 'exit':
      process.exit(0);
  }
}

// ---- logging --------------------------------------------------------------

function log(level, msg, st) {
  st = st === undefined ? als.getStore() : st;
  // The message goes in the body: a huge console.log must not exceed the header limit.
  send(
    {
      type: 'log',
      id: st ? st.id : null,
      inv: st ? st.inv : undefined,
      fn: st ? st.path : undefined,
      level,
    },
    Buffer.from(truncate(msg, MAX_LOG), 'utf8'),
  );
}

const MAX_LOG = 1 << 20;
const MAX_ERROR_TEXT = 64 << 10;

function truncate(s, n) {
  return s.length > n ? s.slice(0, n) + '… (truncated)' : s;
}

// R70: console.log/info → info, warn → warn, error → error, debug → debug.
function installConsole() {
  const map = { log: 'info', info: 'info', warn: 'warn', error: 'error', debug: 'debug', trace: 'debug' };
  for (const [method, level] of Object.entries(map)) {
    console[method] = (...args) => {
      let msg = util.format(...args);
      if (method === 'trace') {
        const e = { name: 'Trace', message: msg };
        Error.captureStackTrace(e, console.trace);
        msg = e.stack;
      }
      log(level, msg);
    };
  }
  console.dir = (obj, opts) => log('info', util.inspect(obj, { customInspect: false, ...opts }));
  console.table = (...args) => log('info', util.format(...args));
}

// A stray throw or rejection from user code must never kill the worker: it
// fails the invocation it belongs to, or is logged.
process.on('uncaughtException', (err) => stray(err, 'uncaught exception'));
process.on('unhandledRejection', (err) => stray(err, 'unhandled promise rejection'));

function stray(err, what) {
  const st = als.getStore();
  if (st && !st.finished && !st.cancelled) {
    finish(st, failureReply(err));
    return;
  }
  log('error', `${what}: ${describe(err)}`, st || null);
}

function describe(err) {
  if (err && typeof err.stack === 'string') return err.stack;
  return util.inspect(err);
}

// ---- project setup --------------------------------------------------------

const NO_TWILIO = 'the twilio package is not installed in this project: run npm install twilio';

let project = null;
let twilioPath = null; // where the project's twilio package resolves, or null
let twilioModule; // undefined until loaded; then the module, or null when it failed
let env = {};
let Response;
const modules = new Map(); // file → exports of successfully loaded Functions
const inflight = new Map(); // id → invocation state

// The twilio package takes a quarter of a second to load, three times the
// rest of a worker's start: it is loaded on first use, so a Function that
// only needs Twilio.Response never waits for it.
function loadTwilio() {
  if (twilioModule !== undefined) return twilioModule;
  twilioModule = null;
  if (twilioPath === null) return null;
  try {
    twilioModule = require(twilioPath);
  } catch (err) {
    log('error', `could not load the twilio package: ${describe(err)}`, null);
  }
  return twilioModule;
}

// loadedTwilio is the twilio module if some code already required it (ours
// or the Function's own require('twilio')), without loading it otherwise.
function loadedTwilio() {
  if (twilioModule !== undefined) return twilioModule;
  return twilioPath !== null && require.cache[twilioPath] ? loadTwilio() : null;
}

function init(p) {
  project = p;
  env = {};
  for (const [k, v] of p.env) env[k] = v;
  // R31: process.env is exactly the .env values (the process already got
  // only those; this also drops anything Node itself may have added).
  process.env = { ...env };

  try {
    twilioPath = require.resolve('twilio', { paths: [p.dir] });
  } catch {
    twilioPath = null;
  }

  Response = createResponseClass({ cookies: p.eventRequest });

  // R32: {...twilio, Response}; without twilio only Response works. The
  // object is filled from the package the first time anything but
  // Response is asked of it.
  const target = { Response };
  let filled = false;
  // fill reports whether the package is there; without it only Response
  // exists and reading anything else throws.
  const fill = () => {
    if (filled) return true;
    const twilio = loadTwilio();
    if (!twilio) return false;
    filled = true;
    Object.assign(target, { ...twilio, Response });
    return true;
  };
  const lazy = (trap) => (t, ...args) => {
    fill();
    return Reflect[trap](t, ...args);
  };
  const Twilio = new Proxy(target, {
    get(t, key, recv) {
      if (key === 'Response' || typeof key === 'symbol' || fill() || key in t) return Reflect.get(t, key, recv);
      throw new Error(NO_TWILIO);
    },
    has: lazy('has'),
    ownKeys: lazy('ownKeys'),
    getOwnPropertyDescriptor: lazy('getOwnPropertyDescriptor'),
    set: lazy('set'),
    defineProperty: lazy('defineProperty'),
    deleteProperty: lazy('deleteProperty'),
  });

  const functions = {};
  for (const f of p.functions) functions[f.key] = { path: f.file };
  const assets = {};
  for (const a of p.privateAssets) {
    const file = a.file;
    assets[a.key] = { path: file, open: () => fs.readFileSync(file, 'utf8') };
  }

  // R33.
  const Runtime = {
    getFunctions: () => ({ ...functions }),
    getAssets: () => ({ ...assets }),
    getSync(opts) {
      const { serviceName = 'default', ...clientOptions } = opts || {};
      const client = getTwilioClient(clientOptions);
      const sync = client.sync;
      const services = sync.v1 && typeof sync.v1.services === 'function' ? sync.v1.services : sync.services;
      const svc = services.call(sync.v1 || sync, serviceName);
      svc.maps = svc.syncMaps;
      svc.lists = svc.syncLists;
      return svc;
    },
  };

  define('Twilio', Twilio);
  define('Runtime', Runtime);
  // R34 (twilio-run only globals).
  define('Functions', Runtime.getFunctions());
  define('Response', Response);
  const sid = env.ACCOUNT_SID;
  if (twilioPath !== null && typeof sid === 'string' && sid.length === 34 && sid.startsWith('AC') && env.AUTH_TOKEN) {
    // R34: created on first use, like the package itself.
    let client;
    let made = false;
    Object.defineProperty(globalThis, 'twilioClient', {
      get() {
        if (!made) {
          made = true;
          const twilio = loadTwilio();
          try {
            if (twilio) client = twilio(sid, env.AUTH_TOKEN, { lazyLoading: true });
          } catch (err) {
            log('warn', `could not create twilioClient: ${describe(err)}`, null);
          }
        }
        return client;
      },
      set(v) {
        made = true;
        client = v;
      },
      configurable: true,
      enumerable: false,
    });
  }

  installConsole();
  send({ type: 'ready', node: process.version, twilio: twilioPath !== null });
}

function define(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

// R29.
function getTwilioClient(opts) {
  const configError = (msg) => {
    const e = new Error(msg);
    e.name = 'INVALID_CONFIG';
    log('error', msg);
    return e;
  };
  const sid = env.ACCOUNT_SID;
  const token = env.AUTH_TOKEN;
  if (!sid) throw configError('Missing Account SID: set ACCOUNT_SID in .env');
  if (typeof sid !== 'string' || sid.length !== 34 || !sid.startsWith('AC')) {
    throw configError('Invalid Account SID: ACCOUNT_SID in .env must be 34 characters starting with AC');
  }
  if (!token) throw configError('Missing Auth Token: set AUTH_TOKEN in .env');
  if (typeof token !== 'string' || token.length !== 32) {
    throw configError('Invalid Auth Token: AUTH_TOKEN in .env must be 32 characters');
  }
  const twilio = loadTwilio();
  if (!twilio) throw new Error(NO_TWILIO);
  return twilio(sid, token, { lazyLoading: true, ...opts });
}

// ---- invocation -----------------------------------------------------------

function invoke(h, body) {
  const st = { id: h.id, inv: h.inv, path: h.path, rel: h.rel, finished: false, cancelled: false };
  inflight.set(h.id, st);
  als.run(st, () => {
    try {
      run(st, h, body);
    } catch (err) {
      finish(st, failureReply(err));
    }
  });
}

function run(st, h, body) {
  let mod = modules.get(h.file);
  if (!mod) {
    // R35: required once; a failed load is not cached (Node drops it from
    // require.cache) so the next request retries.
    mod = require(h.file);
    if (!mod || typeof mod.handler !== 'function') {
      const e = new Error(`Could not find a "handler" function in file ${h.rel}`);
      finish(st, failureReply(e));
      return;
    }
    modules.set(h.file, mod);
  }

  // R28: PATH, DOMAIN_NAME, SERVICE_SID, ENVIRONMENT_SID, then .env, then getTwilioClient.
  const context = {
    PATH: h.path,
    DOMAIN_NAME: project.domainName,
    SERVICE_SID: undefined,
    ENVIRONMENT_SID: undefined,
    ...env,
    getTwilioClient,
  };

  // R16/R19: spread (not Object.assign) so a "__proto__" key stays a plain key.
  const [headers, cookies, query, form, json] = splitParts(h.parts, body);
  const base = project.eventRequest ? { request: { headers: headers || {}, cookies: cookies || {} } } : {};
  const event = { ...base, ...(query || {}), ...(form || {}), ...(json || {}) };

  const callback = (err, payload) => {
    if (st.cancelled) {
      log('warn', 'callback after the invocation ended (timed out); ignored');
      return;
    }
    if (st.finished) {
      log('warn', 'callback was called more than once; later calls are ignored');
      return;
    }
    // R37: any error other than null/undefined wins; payload is then ignored.
    finish(st, err !== null && err !== undefined ? failureReply(err) : successReply(payload));
  };

  const ret = mod.handler(context, event, callback);
  if (ret && typeof ret.then === 'function') {
    // R43: a rejected promise fails the invocation; a resolved one without
    // callback leaves the answer to the Go deadline.
    ret.then(undefined, (err) => {
      if (!st.finished && !st.cancelled) finish(st, failureReply(err));
      else log('error', `async handler rejected after the invocation ended: ${describe(err)}`);
    });
  }
}

// splitParts parses the event parts Go concatenated in the invoke body.
function splitParts(lens, body) {
  let off = 0;
  return lens.map((n) => {
    if (n < 0) return null;
    const part = JSON.parse(body.toString('utf8', off, off + n));
    off += n;
    return part;
  });
}

function finish(st, reply) {
  if (st.finished || st.cancelled) return;
  st.finished = true;
  inflight.delete(st.id);
  // One object shape for every reply keeps JSON.stringify on its fast
  // path (undefined members are left out of the JSON).
  const header = {
    type: 'reply',
    id: st.id,
    kind: reply.kind,
    bodyKind: reply.bodyKind,
    status: reply.status,
    headers: reply.headers,
    error: reply.error,
  };
  send(header, reply.body);
}

function isErrorLike(v) {
  return (
    v instanceof Error ||
    (v !== null && typeof v === 'object' && typeof v.name === 'string' && typeof v.message === 'string')
  );
}

function failureReply(err) {
  if (isErrorLike(err)) {
    return {
      kind: 'failure',
      bodyKind: 'none',
      error: {
        name: truncate(err.name, MAX_ERROR_TEXT),
        message: truncate(err.message, MAX_ERROR_TEXT),
        stack: typeof err.stack === 'string' ? truncate(cleanStack(err.stack), MAX_ERROR_TEXT) : '',
      },
    };
  }
  // callback('text') → text; callback({…}) or a number → JSON (R40).
  if (typeof err === 'string') return { kind: 'failure', bodyKind: 'text', body: Buffer.from(err, 'utf8') };
  return { kind: 'failure', ...encodeValue(err) };
}

// cleanStack keeps the frames of user code and folds the runtime's own
// frames (this script, Node internals) into one line, as twilio-run does
// with "[Twilio Dev Server internals]": the user's code is what to read.
function cleanStack(stack) {
  const out = [];
  let folded = false;
  for (const line of stack.split('\n')) {
    const frame = /^\s+at /.test(line);
    const internal = frame && (line.includes(__dirname) || /\(node:|at node:/.test(line) || /^\s+at (new )?Promise/.test(line));
    if (!internal) {
      out.push(line);
      continue;
    }
    if (!folded) out.push('    at [Ahoy runtime internals]');
    folded = true;
  }
  return out.join('\n');
}

// encodeValue serialises a value the way R38/R55 need: string → text,
// bytes → bytes, null/undefined → none, anything else → JSON.
function encodeValue(v) {
  if (v === null || v === undefined) return { bodyKind: 'none' };
  if (typeof v === 'string') return { bodyKind: 'text', body: Buffer.from(v, 'utf8') };
  if (Buffer.isBuffer(v)) return { bodyKind: 'bytes', body: v };
  if (ArrayBuffer.isView(v)) return { bodyKind: 'bytes', body: Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
  if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
  const s = JSON.stringify(v);
  if (s === undefined) return { bodyKind: 'none' };
  return { bodyKind: 'json', body: Buffer.from(s, 'utf8') };
}

const TWIML = new Set(['VoiceResponse', 'MessagingResponse', 'FaxResponse']);

// R39: instanceof the project's classes (a Function's own require('twilio')
// resolves to the same cached module), or anything that looks like TwiML.
function twimlXML(v) {
  if (v === null || typeof v !== 'object') return null;
  let match = false;
  const twilio = loadedTwilio();
  if (twilio && twilio.twiml) {
    const t = twilio.twiml;
    match = [t.VoiceResponse, t.MessagingResponse, t.FaxResponse].some((C) => typeof C === 'function' && v instanceof C);
  }
  if (!match && v.constructor && TWIML.has(v.constructor.name) && typeof v.toString === 'function') {
    match = true;
  }
  if (!match) return null;
  const xml = String(v.toString());
  return xml.trimStart().startsWith('<') ? xml : null;
}

function successReply(payload) {
  try {
    if (payload instanceof Response) return responseReply(payload);
    const xml = twimlXML(payload);
    if (xml !== null) return { kind: 'payload', bodyKind: 'xml', body: Buffer.from(xml, 'utf8') };
    return { kind: 'payload', ...encodeValue(payload) };
  } catch (err) {
    return failureReply(err); // e.g. circular structure
  }
}

function responseReply(res) {
  const s = res._serialize();
  const status = typeof s.status === 'number' || typeof s.status === 'string' ? s.status : null;
  return { kind: 'response', status, headers: s.headers, ...encodeValue(s.body) };
}
