#!/usr/bin/env bash
# Measures the gate as the binary serves it against a minimal net/http handler
# on this machine, in one run: builds stackgate, seeds 100 stacks x 100
# delivery tokens, then runs wrk against GET /gate/auth?api=cda (nginx's way:
# X-Original-Method and X-Original-URI; 90% valid delivery tokens, 10% unknown
# ones, random for each request) and sends the very same requests to a handler
# that only writes a fixed body. Prints requests/s, p50, p99 and the ratios
# (goal: gate >= 0.85x the minimal handler's requests/s, p99 <= 1.5x).
#
# stackgate runs as shipped: `stackgate serve` with the default log level
# (info: refusals are logged, one line each, to a file here).
# Usage: bash scripts/gatebench.sh [duration=10s] [connections=64]
# Env: STACKS, TOKENS (seeding), LOG_LEVEL (default info), THREADS (wrk, 2),
#      GATEBENCH_UNKNOWN=fixed (one unknown token, not random ones).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/benchlib.sh
DUR=${1:-10s}
CONN=${2:-64}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/stackgate" ./cmd/stackgate
go build -o "$tmp/gatebench" ./bench/gatebench
echo "seeding ${STACKS:-100} stacks x ${TOKENS:-100} delivery tokens..."
"$tmp/gatebench" seed --database "sqlite:$tmp/sg.db" --stacks "${STACKS:-100}" --tokens "${TOKENS:-100}" --out "$tmp/tokens.txt"

"$tmp/stackgate" serve --addr 127.0.0.1:18080 --database "sqlite:$tmp/sg.db" --log-level "${LOG_LEVEL:-info}" 2>"$tmp/serve.log" &
"$tmp/gatebench" minimal --addr 127.0.0.1:18081 &
wait_http http://127.0.0.1:18080/healthz http://127.0.0.1:18081/

export GATEBENCH_TOKENS="$tmp/tokens.txt" GATEBENCH_MODE=gate
# Warm the gate's cache (every stack's snapshot) before measuring.
wrk -t"$THREADS" -c"$CONN" -d3s -s scripts/gate.lua http://127.0.0.1:18080 >/dev/null

run() { wrk -t"$THREADS" -c"$CONN" -d"$DUR" --latency "$@"; }
echo "== gate: GET /gate/auth?api=cda, 90% valid / 10% random unknown delivery tokens"
run -s scripts/gate.lua http://127.0.0.1:18080 | tee "$tmp/gate.out"
echo "== minimal net/http handler, sent the very same requests (same headers and path)"
run -s scripts/gate.lua http://127.0.0.1:18081 | tee "$tmp/min.out"
echo "== minimal net/http handler, bare GET /"
run http://127.0.0.1:18081/ | tee "$tmp/bare.out"

echo
echo "wrk -t$THREADS -c$CONN -d$DUR, $(nproc) cores; load average (1/5/15 min) at start: $load0, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
header
row "gate /gate/auth?api=cda" "$tmp/gate.out"
row "minimal, same requests" "$tmp/min.out"
row "minimal, bare GET /" "$tmp/bare.out"
echo "(non-2xx: the gate's 401s for the unknown tokens, about 10%; refusals logged: $(grep -c 'gate refused' "$tmp/serve.log" || true) lines)"
awk -v g="$(rps "$tmp/gate.out")" -v m="$(rps "$tmp/min.out")" -v b="$(rps "$tmp/bare.out")" \
    -v g99="$(pct "$tmp/gate.out" 99%)" -v m99="$(pct "$tmp/min.out" 99%)" -v b99="$(pct "$tmp/bare.out" 99%)" 'BEGIN{
  printf "throughput gate/minimal (same requests): %.2f   gate/bare: %.2f   (goal >= 0.85)\n", g/m, g/b
  printf "p99 gate/minimal (same requests):        %.2f   gate/bare: %.2f   (goal <= 1.50)\n", g99/m99, g99/b99 }'
