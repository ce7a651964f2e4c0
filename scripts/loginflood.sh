#!/usr/bin/env bash
# Peak memory of a real stackgate under a login flood: builds stackgate,
# creates one account, serves it with --trusted-proxies 127.0.0.1, and sends
# 128 concurrent logins with wrong passwords (a new X-Forwarded-For address
# each, so only the argon2id cap and the account backoff stand in the way),
# half on the real account and half on unknown emails, then prints the
# status codes and the server's peak RSS (VmHWM). Goal: <= 300 MB.
# Usage: bash scripts/loginflood.sh [duration=15s] [concurrency=128]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-15s}
CONC=${2:-128}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/stackgate" ./cmd/stackgate
go build -o "$tmp/loginflood" ./bench/loginflood
"$tmp/stackgate" bootstrap --database "sqlite:$tmp/sg.db" --email victim@example.com \
  --password 'correct horse battery' --stack Flood >/dev/null
"$tmp/stackgate" serve --addr 127.0.0.1:18090 --database "sqlite:$tmp/sg.db" --log-level warn \
  --trusted-proxies 127.0.0.1 &
pid=$!
for i in $(seq 1 100); do curl -sf http://127.0.0.1:18090/healthz >/dev/null && break; sleep 0.1; done
echo "server RSS before: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
echo "== $CONC concurrent wrong-password logins for $DUR: $((CONC / 2)) on one account, $((CONC / 2)) on unknown emails"
"$tmp/loginflood" --url http://127.0.0.1:18090 --email victim@example.com --concurrency $((CONC / 2)) --duration "$DUR" > "$tmp/known.out" &
kp=$!
"$tmp/loginflood" --url http://127.0.0.1:18090 --concurrency $((CONC / 2)) --duration "$DUR" --pid $pid > "$tmp/unknown.out"
wait $kp
echo "-- on the account:"; cat "$tmp/known.out"
echo "-- on unknown emails:"; cat "$tmp/unknown.out"
