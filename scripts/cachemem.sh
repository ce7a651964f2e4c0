#!/usr/bin/env bash
# Memory per cached delivery token: seeds STACKS (1,000) stacks of TOKENS (100)
# delivery tokens, touches every stack through the gate's decision and
# reports the live heap per cached token (goal <= 600 bytes), then again with
# --cache-max-stacks below the working set: evictions counted, hits still
# allocation-free.
# Usage: bash scripts/cachemem.sh   (STACKS=1000 TOKENS=100 BOUND=500)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/gatebench" ./bench/gatebench
echo "seeding ${STACKS:-1000} stacks x ${TOKENS:-100} delivery tokens..."
"$tmp/gatebench" seed --database "sqlite:$tmp/sg.db" --stacks "${STACKS:-1000}" --tokens "${TOKENS:-100}" --out "$tmp/tokens.txt"
echo "== every stack cached"
"$tmp/gatebench" cachemem --database "sqlite:$tmp/sg.db" --tokens "$tmp/tokens.txt"
echo "== --cache-max-stacks ${BOUND:-500}"
"$tmp/gatebench" cachemem --database "sqlite:$tmp/sg.db" --tokens "$tmp/tokens.txt" --cache-max-stacks "${BOUND:-500}"
