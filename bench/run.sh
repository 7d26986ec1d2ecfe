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

# measure LABEL PORT ARGS...: start twilio-run with ARGS, load it, print its line.
measure_twilio_run() {
  local label=$1 port=$2; shift 2
  (cd "$work/project" && exec setsid node_modules/.bin/twilio-run start --port "$port" "$@" >"$work/$label.log" 2>&1) &
  local pid=$!; pids+=("$pid")
  wait_up "http://127.0.0.1:$port/hello"
  "$work/load" -label warmup -url "http://127.0.0.1:$port/hello?name=Ada" -c "$CONC" -d 2s >/dev/null
  local line
  line=$("$work/load" -label "$label" -url "http://127.0.0.1:$port/hello?name=Ada" -c "$CONC" -d "$DUR")
  echo "$line	rss_kb=$(rss_kb "$pid")"
  kill -- -"$pid" 2>/dev/null || true
  rate=$(echo "$line" | sed -E 's/.*req\/s=([0-9]+).*/\1/')
  awk -v a="$ahoy_rate" -v b="$rate" -v l="$label" 'BEGIN { if (b > 0) printf "ratio\tahoy/%s throughput = %.1fx\n", l, a / b }'
}
ahoy_rate=$(echo "$a" | sed -E 's/.*req\/s=([0-9]+).*/\1/')

if [ -n "$TR" ]; then
  [ -d bench/twilio-run/node_modules/twilio-run ] || (cd bench/twilio-run && npm install --no-audit --no-fund --loglevel=error)
  ln -s "$PWD/bench/twilio-run/node_modules" "$work/project/node_modules"
  measure_twilio_run twilio-run 3302                       # default: a forked process per request
  measure_twilio_run twilio-run-inline 3303 --no-fork-process
fi
