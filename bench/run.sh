#!/usr/bin/env bash
# The side-by-side load benchmark (issue 4): Ahoy, twilio-run (default and
# --no-fork-process --no-live) and a hand-written node:http server serve
# bench/project on this machine in one run; bench/runner drives them with
# wrk (bench/wrk/report.lua) or, without wrk, its in-process Go generator
# (bench/load) and prints a Markdown report. Not part of the tests.
#
#   bench/run.sh [runner flags]      e.g. -quick, -d 3s -rounds 3, -servers ahoy,node-http
#
# Installs wrk with apt-get when it is missing and this runs as root (if that
# fails the runner uses its Go generator; a missing wrk never fails the run),
# installs bench/twilio-run's pinned npm packages (npm ci) when missing or
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

# wrk, unless the Go generator was asked for (-load go).
want_go=
prev=
for a in "$@"; do
  case "$a" in
    -load=go|--load=go) want_go=1 ;;
    go) case "$prev" in -load|--load) want_go=1 ;; esac ;;
  esac
  prev=$a
done
if [ -z "$want_go" ] && ! command -v wrk >/dev/null; then
  why=
  if ! command -v apt-get >/dev/null; then
    why="there is no apt-get"
  elif [ "$(id -u)" != 0 ]; then
    why="installing it needs root"
  else
    # apt's output goes to stderr: stdout is the report.
    echo "bench/run.sh: installing wrk (apt-get install -y wrk)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2; then
      echo "bench/run.sh: retrying after apt-get update" >&2
      if ! { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2; }; then
        why="apt-get could not install it"
      fi
    fi
  fi
  if ! command -v wrk >/dev/null; then
    echo "bench/run.sh: wrk is not installed (${why:-it is not on PATH after apt-get}); the runner falls back to its Go load generator, which takes more of the servers' shared CPU per response" >&2
  fi
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/ahoy" ./cmd/ahoy
go build -o "$bin/runner" ./bench/runner
# Not exec: the trap removes the binaries afterwards. The runner stops every
# server it started on exit, on an error and on Ctrl-C.
"$bin/runner" -ahoy "$bin/ahoy" "$@"
