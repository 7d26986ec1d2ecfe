#!/usr/bin/env bash
# Side-by-side load benchmark: Ahoy and (when installed) twilio-run serve the
# same project on this machine in one run; prints req/s, latency and memory
# for each and the ratios. Not part of the tests.
#
#   bench/run.sh [-d 10s] [-c 16] [--with-twilio-run]
# --with-twilio-run installs twilio-run 5.0.1 in bench/twilio-run (npm, once).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=10s CONC=16 TR=
while [ $# -gt 0 ]; do
  case "$1" in
    -d) DUR=$2; shift 2 ;;
    -c) CONC=$2; shift 2 ;;
    --with-twilio-run) TR=1; shift ;;
    *) echo "usage: bench/run.sh [-d 10s] [-c 16] [--with-twilio-run]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
go build -o "$work/ahoy" ./cmd/ahoy
go build -o "$work/load" ./bench/load
cp -r bench/project "$work/project"

wait_up() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "server at $1 did not start" >&2; exit 1; }
# rss_kb sums the resident memory of a process group.
rss_kb() { ps -o rss= -g "$1" | awk '{s+=$1} END {print s+0}'; }

setsid "$work/ahoy" serve --port 3301 --max-inflight 0 "$work/project" >"$work/ahoy.log" 2>&1 &
pids+=($!); ahoy_pid=$!
wait_up http://127.0.0.1:3301/hello
"$work/load" -label warmup -url 'http://127.0.0.1:3301/hello?name=Ada' -c "$CONC" -d 2s >/dev/null
a=$("$work/load" -label ahoy -url 'http://127.0.0.1:3301/hello?name=Ada' -c "$CONC" -d "$DUR")
echo "$a	rss_kb=$(rss_kb "$ahoy_pid")"

if [ -n "$TR" ]; then
  [ -d bench/twilio-run/node_modules/twilio-run ] || (cd bench/twilio-run && npm install --no-audit --no-fund --loglevel=error)
  ln -s "$PWD/bench/twilio-run/node_modules" "$work/project/node_modules"
  (cd "$work/project" && setsid "$PWD/../../$(basename "$work")/../$(basename "$work")/project/node_modules/.bin/twilio-run" start --port 3302 >"$work/tr.log" 2>&1) &
  (cd "$work/project" && setsid node_modules/.bin/twilio-run start --port 3302 >"$work/tr.log" 2>&1 &
   echo $! >"$work/tr.pid")
  sleep 0.5; tr_pid=$(cat "$work/tr.pid"); pids+=("$tr_pid")
  wait_up http://127.0.0.1:3302/hello
  "$work/load" -label warmup -url 'http://127.0.0.1:3302/hello?name=Ada' -c "$CONC" -d 2s >/dev/null
  b=$("$work/load" -label twilio-run -url 'http://127.0.0.1:3302/hello?name=Ada' -c "$CONC" -d "$DUR")
  echo "$b	rss_kb=$(rss_kb "$tr_pid")"
  ra=$(echo "$a" | sed -E 's/.*req\/s=([0-9]+).*/\1/'); rb=$(echo "$b" | sed -E 's/.*req\/s=([0-9]+).*/\1/')
  awk -v a="$ra" -v b="$rb" 'BEGIN { if (b > 0) printf "ratio\tahoy/twilio-run throughput = %.1fx\n", a / b }'
fi
