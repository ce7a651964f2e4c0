#!/usr/bin/env bash
# Server CPU per gate request, valid delivery tokens vs a flood of random
# unknown ones (issue 11's goal: random ≤ 1.3× valid, and no store read per
# random token after warm-up). Builds stackgate, seeds 100 stacks × 100
# delivery tokens, runs wrk against /gate/auth?api=cda twice — all valid,
# then all random unknown tokens — and reads the server's CPU time from
# /proc before and after each run. Prints CPU µs per request and the ratio.
# Usage: bash scripts/floodcpu.sh [duration=10s] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/benchlib.sh
DUR=${1:-10s}
CONN=${2:-64}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/stackgate" ./cmd/stackgate
go build -o "$tmp/gatebench" ./bench/gatebench
"$tmp/gatebench" seed --database "sqlite:$tmp/sg.db" --stacks 100 --tokens 100 --out "$tmp/tokens.txt" >/dev/null
"$tmp/stackgate" serve --addr 127.0.0.1:18090 --database "sqlite:$tmp/sg.db" 2>"$tmp/server.log" &
pid=$!
wait_http http://127.0.0.1:18090/healthz
export GATEBENCH_TOKENS="$tmp/tokens.txt"
GATEBENCH_UNKNOWN_TENTHS=0 wrk -t2 -c"$CONN" -d3s -s scripts/gate.lua http://127.0.0.1:18090 >/dev/null # warm every snapshot

# cpu_ticks: user+system clock ticks of the server so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
measure() { # measure NAME TENTHS
  local before after out
  before=$(cpu_ticks)
  out=$(GATEBENCH_UNKNOWN_TENTHS=$2 wrk -t2 -c"$CONN" -d"$DUR" -s scripts/gate.lua http://127.0.0.1:18090)
  after=$(cpu_ticks)
  echo "$out" > "$tmp/$1.out"
  awk -v t=$((after - before)) -v hz="$hz" -v n="$(total "$tmp/$1.out")" -v name="$1" \
    'BEGIN { printf "%-24s %10d requests %8.2f CPU us/request\n", name, n, t / hz * 1e6 / n }'
}
v=$(measure valid 0)
r=$(measure "random unknown" 10)
echo "$v"; echo "$r"
awk -v a="$(echo "$v" | awk '{print $(NF-2)}')" -v b="$(echo "$r" | awk '{print $(NF-2)}')" \
  'BEGIN { printf "CPU per request, random unknown / valid: %.2f (goal <= 1.30)\n", b / a }'
grep -c "gate refused" "$tmp/server.log" | awk '{print "refusal log lines written: " $1 " (sampled)"}'
