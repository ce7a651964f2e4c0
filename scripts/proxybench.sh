#!/usr/bin/env bash
# Measures stackgate's CDA proxy listener (--cda-addr, --cda-upstream) on this
# machine, in one run, against
#   - a bare httputil.ReverseProxy with a tuned transport (gatebench rproxy),
#     which decides nothing: goal, the listener does >= 0.85x its requests/s;
#   - nginx auth_request asking stackgate's /gate/auth?api=cda (the README's
#     cda site, with keepalive to the gate and to the upstream): goal, the
#     listener is faster;
# all in front of the same fast upstream (gatebench minimal: a fixed JSON
# body), all sent the same wrk requests: CDA entries reads, 90% with a valid
# delivery token, 10% with an unknown one, random for each request (the bare
# proxy forwards those too; the gates answer them 401). Seeds 100 stacks x
# 100 delivery tokens. stackgate runs with the default log level (info:
# refusals logged, to a file here).
# Usage: bash scripts/proxybench.sh [duration=10s] [connections=64]
# Env: STACKS, TOKENS, LOG_LEVEL (default info), THREADS (wrk, 2), GATEBENCH_UNKNOWN=fixed,
#      NGINX (default: nginx on PATH or /usr/sbin/nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/benchlib.sh
DUR=${1:-10s}
CONN=${2:-64}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || { echo "nginx is required: apt-get install nginx" >&2; exit 1; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx's workers may run as another user
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$tmp"' EXIT

UP=127.0.0.1:18191      # the content upstream
SG=127.0.0.1:18190      # stackgate's main listener (/gate/auth for nginx)
CDA=127.0.0.1:18192     # stackgate's CDA proxy listener
RP=127.0.0.1:18193      # the bare reverse proxy
NG=127.0.0.1:18194      # nginx

go build -o "$tmp/stackgate" ./cmd/stackgate
go build -o "$tmp/gatebench" ./bench/gatebench
echo "seeding ${STACKS:-100} stacks x ${TOKENS:-100} delivery tokens..."
"$tmp/gatebench" seed --database "sqlite:$tmp/sg.db" --stacks "${STACKS:-100}" --tokens "${TOKENS:-100}" --out "$tmp/tokens.txt"

"$tmp/gatebench" minimal --addr "$UP" &
"$tmp/stackgate" serve --addr "$SG" --database "sqlite:$tmp/sg.db" --log-level "${LOG_LEVEL:-info}" \
  --cda-addr "$CDA" --cda-upstream "http://$UP" 2>"$tmp/serve.log" &
"$tmp/gatebench" rproxy --addr "$RP" --upstream "http://$UP" &

mkdir -p "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body; proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi; uwsgi_temp_path $tmp/nginx/uwsgi; scgi_temp_path $tmp/nginx/scgi;
  upstream stackgate { server $SG; keepalive 64; }
  upstream cda { server $UP; keepalive 64; }
  map "\$http_x_stackgate_stack\$http_x_stackgate_principal\$http_x_stackgate_branch\$http_x_stackgate_environment" \$stackgate_spoofed {
    ""      0;
    default 1;
  }
  server {
    listen $NG;
    underscores_in_headers on;
    location / {
      if (\$stackgate_spoofed) { return 400; }
      auth_request /_stackgate_auth;
      auth_request_set \$sg_stack     \$upstream_http_x_stackgate_stack;
      auth_request_set \$sg_principal \$upstream_http_x_stackgate_principal;
      auth_request_set \$sg_branch    \$upstream_http_x_stackgate_branch;
      auth_request_set \$sg_env       \$upstream_http_x_stackgate_environment;
      proxy_set_header X-Stackgate-Stack       \$sg_stack;
      proxy_set_header X-Stackgate-Principal   \$sg_principal;
      proxy_set_header X-Stackgate-Branch      \$sg_branch;
      proxy_set_header X-Stackgate-Environment \$sg_env;
      error_page 401 403 500 = @stackgate_denied;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://cda;
    }
    location = /_stackgate_auth {
      internal;
      proxy_pass http://stackgate/gate/auth?api=cda;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method \$request_method;
      proxy_set_header X-Original-URI \$request_uri;
    }
    location @stackgate_denied {
      internal;
      rewrite ^ /gate/auth?api=cda? break;
      proxy_pass http://stackgate;
      proxy_method GET;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method \$request_method;
      proxy_set_header X-Original-URI \$request_uri;
    }
  }
}
CONF
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx/stderr.log" &
wait_http "http://$UP/" "http://$SG/healthz" "http://$CDA/" "http://$RP/" "http://$NG/" || { cat "$tmp/nginx/stderr.log" "$tmp/nginx/error.log" 2>/dev/null; exit 1; }

# One valid request through each, to check the set-up before measuring.
read -r key tok < "$tmp/tokens.txt"
for hp in "$CDA" "$RP" "$NG"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "api_key: $key" -H "access_token: $tok" "http://$hp/v3/content_types/blog/entries?environment=production")
  [ "$code" = 200 ] || { echo "set-up check: $hp answered $code" >&2; exit 1; }
done

export GATEBENCH_TOKENS="$tmp/tokens.txt" GATEBENCH_MODE=proxy
# Warm stackgate's cache (every stack's snapshot) before measuring.
wrk -t"$THREADS" -c"$CONN" -d3s -s scripts/gate.lua "http://$CDA" >/dev/null

run() { wrk -t"$THREADS" -c"$CONN" -d"$DUR" --latency -s scripts/gate.lua "$@"; }
echo "== stackgate CDA proxy listener (--cda-addr, --cda-upstream)"
run "http://$CDA" | tee "$tmp/sg.out"
echo "== bare httputil.ReverseProxy, tuned transport (decides nothing)"
run "http://$RP" | tee "$tmp/rp.out"
echo "== nginx auth_request + stackgate /gate/auth?api=cda"
run "http://$NG" | tee "$tmp/ng.out"
echo "== the upstream alone (gatebench minimal), same requests"
run "http://$UP" | tee "$tmp/up.out"

echo
echo "wrk -t$THREADS -c$CONN -d$DUR, $(nproc) cores; load average (1/5/15 min) at start: $load0, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
header
row "stackgate CDA proxy listener" "$tmp/sg.out"
row "bare httputil.ReverseProxy" "$tmp/rp.out"
row "nginx auth_request + /gate/auth" "$tmp/ng.out"
row "upstream alone" "$tmp/up.out"
echo "(non-2xx: the gates' 401s for the unknown tokens, about 10%; the bare proxy forwards them)"
awk -v s="$(rps "$tmp/sg.out")" -v r="$(rps "$tmp/rp.out")" -v n="$(rps "$tmp/ng.out")" \
    -v s99="$(pct "$tmp/sg.out" 99%)" -v r99="$(pct "$tmp/rp.out" 99%)" -v n99="$(pct "$tmp/ng.out" 99%)" 'BEGIN{
  printf "throughput listener/bare reverse proxy: %.2f   (goal >= 0.85)   p99 ratio: %.2f\n", s/r, s99/r99
  printf "throughput listener/nginx+gate:         %.2f   (goal > 1.00)    p99 ratio: %.2f\n", s/n, s99/n99 }'
