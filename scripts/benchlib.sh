# Helpers shared by scripts/gatebench.sh and scripts/proxybench.sh (sourced).

# wait_http URL...: until each URL answers (any status), at most 10 s.
wait_http() {
  local u
  for u in "$@"; do
    for _ in $(seq 1 100); do
      curl -s -o /dev/null "$u" && break
      sleep 0.1
    done
    curl -s -o /dev/null "$u" || { echo "no answer from $u" >&2; return 1; }
  done
}

# wrk prints latencies as 123.45us / 1.23ms / 1.00s; us normalises to microseconds.
us() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); print v} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000000} else print v }'; }
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { us "$(awk -v p="$2" '$1 == p {print $2}' "$1")"; }
# non2xx FILE: wrk's count of non-2xx/3xx responses (0 when none).
non2xx() { awk '/Non-2xx or 3xx responses/ {print $NF; f=1} END {if (!f) print 0}' "$1"; }
total() { awk '/requests in/ {print $1}' "$1"; }

# row NAME FILE: one line of the results table.
row() { printf "%-34s %10s %10s %10s %9s\n" "$1" "$(rps "$2")" "$(pct "$2" 50%)" "$(pct "$2" 99%)" "$(awk -v a="$(non2xx "$2")" -v b="$(total "$2")" 'BEGIN{printf "%.1f", b ? 100*a/b : 0}')"; }
header() { printf "%-34s %10s %10s %10s %9s\n" "" "req/s" "p50 (us)" "p99 (us)" "non-2xx %"; }
