#!/usr/bin/env bash
# Measures the gate against a minimal net/http handler on this machine, in one
# run: builds stackgate, seeds 100 stacks × 100 delivery tokens, then runs wrk
# against /gate/auth (90% valid, 10% invalid tokens) and against a handler
# that only writes a fixed body. Prints requests/s, p50, p99 and the ratios.
# Usage: bash scripts/gatebench.sh [duration=10s] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10s}
CONN=${2:-64}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/stackgate" ./cmd/stackgate
go build -o "$tmp/gatebench" ./bench/gatebench
echo "seeding 100 stacks x 100 delivery tokens..."
"$tmp/gatebench" seed --database "sqlite:$tmp/sg.db" --stacks "${STACKS:-100}" --tokens "${TOKENS:-100}" --out "$tmp/tokens.txt"

"$tmp/stackgate" serve --addr 127.0.0.1:18080 --database "sqlite:$tmp/sg.db" --log-level warn &
"$tmp/gatebench" minimal --addr 127.0.0.1:18081 &
for i in $(seq 1 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && curl -sf http://127.0.0.1:18081/ >/dev/null && break; sleep 0.1; done

# Warm the gate's cache (every stack's snapshot) before measuring.
GATEBENCH_TOKENS="$tmp/tokens.txt" wrk -t2 -c"$CONN" -d3s -s scripts/gate.lua http://127.0.0.1:18080 >/dev/null

run() { wrk -t2 -c"$CONN" -d"$DUR" --latency "$@"; }
echo "== gate: /gate/auth, 90% valid / 10% invalid delivery tokens"
GATEBENCH_TOKENS="$tmp/tokens.txt" run -s scripts/gate.lua http://127.0.0.1:18080 | tee "$tmp/gate.out"
echo "== minimal net/http handler, sent the very same requests (same headers and path)"
GATEBENCH_TOKENS="$tmp/tokens.txt" run -s scripts/gate.lua http://127.0.0.1:18081 | tee "$tmp/min.out"
echo "== minimal net/http handler, bare GET /"
run http://127.0.0.1:18081/ | tee "$tmp/bare.out"

# wrk prints latencies as 123.45us / 1.23ms / 1.00s; normalise to microseconds.
us() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); print v} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000000} else print v }'; }
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
g_rps=$(rps "$tmp/gate.out"); m_rps=$(rps "$tmp/min.out"); b_rps=$(rps "$tmp/bare.out")
g50=$(us "$(pct "$tmp/gate.out" 50%)"); g99=$(us "$(pct "$tmp/gate.out" 99%)")
m50=$(us "$(pct "$tmp/min.out" 50%)"); m99=$(us "$(pct "$tmp/min.out" 99%)")
b50=$(us "$(pct "$tmp/bare.out" 50%)"); b99=$(us "$(pct "$tmp/bare.out" 99%)")
echo
printf "%-22s %12s %12s %12s\n" "" "req/s" "p50 (us)" "p99 (us)"
printf "%-22s %12s %12s %12s\n" gate "$g_rps" "$g50" "$g99"
printf "%-22s %12s %12s %12s\n" "minimal, same request" "$m_rps" "$m50" "$m99"
printf "%-22s %12s %12s %12s\n" "minimal, bare GET /" "$b_rps" "$b50" "$b99"
awk -v g="$g_rps" -v m="$m_rps" -v b="$b_rps" -v g99="$g99" -v m99="$m99" -v b99="$b99" 'BEGIN{
  printf "throughput gate/minimal (same request): %.2f   gate/bare: %.2f   (target >= 0.70)\n", g/m, g/b
  printf "p99 gate/minimal (same request):        %.2f   gate/bare: %.2f   (target <= 2.00)\n", g99/m99, g99/b99 }'
