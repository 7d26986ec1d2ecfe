#!/usr/bin/env bash
# Runs Ahoy's whole test suite: installs the npm packages the tests load
# (testdata/twilio), then vet and the Go tests with the race detector.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "test.sh: node (18 or newer) is needed on PATH" >&2; exit 1; }
if [ ! -f testdata/twilio/node_modules/.package-lock.json ] ||
   ! cmp -s testdata/twilio/package-lock.json testdata/twilio/node_modules/.ahoy-lock; then
  (cd testdata/twilio && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.ahoy-lock)
fi
go vet ./...
go test -race -count=1 "$@" ./...
