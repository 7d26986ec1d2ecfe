#!/usr/bin/env bash
# The side-by-side load benchmark (issue 4): Ahoy, twilio-run (default and
# --no-fork-process --no-live) and a hand-written node:http server serve
# bench/project on this machine in one run; bench/runner drives them with
# bench/load and prints a Markdown report. Not part of the tests.
#
#   bench/run.sh [runner flags]      e.g. -quick, -d 3s -rounds 3, -servers ahoy,node-http
#
# Installs bench/twilio-run's pinned npm packages (npm ci) when missing or
# stale, builds ahoy and the runner into a temporary folder, and passes every
# argument to the runner (bench/run.sh -h lists them). Raw results, server
# logs and the report go to bench/results/<timestamp>/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "bench/run.sh: node (18 or newer) is needed on PATH" >&2; exit 1; }
command -v npm >/dev/null || { echo "bench/run.sh: npm is needed on PATH" >&2; exit 1; }

# npm ci when node_modules is missing or was installed from another lock.
if [ ! -f bench/twilio-run/node_modules/.package-lock.json ] ||
   ! cmp -s bench/twilio-run/package-lock.json bench/twilio-run/node_modules/.ahoy-lock; then
  echo "bench/run.sh: installing bench/twilio-run (npm ci)" >&2
  (cd bench/twilio-run && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.ahoy-lock)
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/ahoy" ./cmd/ahoy
go build -o "$bin/runner" ./bench/runner
# Not exec: the trap removes the binaries afterwards. The runner stops every
# server it started on exit, on an error and on Ctrl-C.
"$bin/runner" -ahoy "$bin/ahoy" "$@"
