'use strict';
// The hand-written baseline for bench/run.sh: one node:http process doing, in
// process, what bench/project's Functions and Asset do, and answering with the
// same status, headers and bodies Ahoy sends (production cookie attributes
// included). It is what a Node programmer would write by hand for speed: no
// framework, the static file read once at startup.
//
//   node server.js --port 3000 --project ../project
//
// The twilio package (for VoiceResponse) is resolved from the project folder,
// as a Function's require('twilio') would be.

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const querystring = require('node:querystring');

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(flag('port', process.env.PORT || '3000'));
const host = flag('host', '127.0.0.1');
const project = path.resolve(flag('project', path.join(__dirname, '..', 'project')));

const twilio = require(require.resolve('twilio', { paths: [project] }));

// The Asset, read once; ETag and Last-Modified as Go's http.ServeContent
// (what Ahoy uses) would compute them from the file's size and mtime.
const staticFile = path.join(project, 'assets', 'static.txt');
const staticBody = fs.readFileSync(staticFile);
const staticStat = fs.statSync(staticFile);
const staticHeaders = {
  'Accept-Ranges': 'bytes',
  'Content-Length': String(staticBody.length),
  'Content-Type': 'text/plain; charset=UTF-8',
  ETag: `"${staticBody.length.toString(16)}-${(BigInt(Math.trunc(staticStat.mtimeMs * 1e6))).toString(16)}"`,
  'Last-Modified': staticStat.mtime.toUTCString(),
};

// parseCookies splits a Cookie header into name → first value.
function parseCookies(header) {
  const out = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

function send(res, status, headers, body) {
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const pathname = q < 0 ? req.url : req.url.slice(0, q);
  switch (pathname) {
    case '/hello': {
      const query = q < 0 ? {} : querystring.parse(req.url.slice(q + 1));
      send(res, 200, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Hello ' + (query.name || 'World'));
      return;
    }
    case '/twiml': {
      const twiml = new twilio.twiml.VoiceResponse();
      twiml.say({ voice: 'alice' }, 'Hello from the benchmark. Goodbye!');
      send(res, 200, { 'Content-Type': 'text/xml; charset=utf-8' }, twiml.toString());
      return;
    }
    case '/headers': {
      const cookies = parseCookies(req.headers.cookie);
      const body = JSON.stringify({
        userAgent: req.headers['user-agent'] || null,
        session: cookies.session || null,
        theme: cookies.theme || null,
      });
      send(
        res,
        200,
        {
          'Cache-Control': 'no-store',
          'Content-Type': 'application/json',
          'Set-Cookie': [
            `session=${cookies.session || 'new'}; Path=/; Max-Age=3600; HttpOnly; Secure`,
            'visits=1; Path=/; HttpOnly; Secure',
            'theme=; Max-Age=0; HttpOnly; Secure',
          ],
          'X-Bench': 'headers',
        },
        body,
      );
      return;
    }
    case '/async': {
      setTimeout(() => {
        send(res, 200, { 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify({ ok: true, waited: 1 }));
      }, 1);
      return;
    }
    case '/static.txt':
      res.writeHead(200, staticHeaders);
      res.end(staticBody);
      return;
    default:
      send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Not Found');
  }
});

server.listen(port, host, () => {
  console.log(`node-http: listening on http://${host}:${port} (project ${project})`);
});

// Exit promptly on the runner's SIGTERM.
process.on('SIGTERM', () => process.exit(0));
