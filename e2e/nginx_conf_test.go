package e2e

import (
	"strings"
	"text/template"
)

// site is one proxied API: its name (the gate's api=…), where the proxy
// listens for it and the content API behind it.
type site struct {
	API, Listen, Port, Upstream string
}

// proxyParams fill the proxy configurations: the gate's address and the
// three sites.
type proxyParams struct {
	Gate  string
	Sites []site
}

// readmeParams are the addresses the README's configurations show.
var readmeParams = proxyParams{Gate: "127.0.0.1:8080", Sites: []site{
	{"cda", "8081", "8081", "127.0.0.1:9001"}, {"preview", "8082", "8082", "127.0.0.1:9002"},
	{"cma", "8083", "8083", "127.0.0.1:9003"}}}

// nginxSites is the nginx configuration the README gives, with one server
// block per API: TestReadmeProxyConfigs checks the README holds it, rendered
// with readmeParams, and the nginx tests run it with their own addresses.
var nginxSites = template.Must(template.New("nginx").Parse(strings.TrimLeft(`
upstream stackgate { server {{.Gate}}; keepalive 16; }
# A client's own copy of a header the gate sets, in any spelling ("_" for "-"
# included: CGI-style upstreams read both as one), is refused, not passed on.
map "$http_x_stackgate_stack$http_x_stackgate_principal$http_x_stackgate_branch$http_x_stackgate_environment" $stackgate_spoofed {
  ""      0;
  default 1;
}
{{range .Sites}}upstream {{.API}} { server {{.Upstream}}; }
{{end}}{{range .Sites}}
server {
  # The {{.API}} site: its auth requests say api={{.API}}.
  listen {{.Listen}};
  # api_key, access_token, preview_token have underscores: keep them.
  underscores_in_headers on;

  location / {
    if ($stackgate_spoofed) { return 400; }
    auth_request /_stackgate_auth;
    auth_request_set $sg_stack     $upstream_http_x_stackgate_stack;
    auth_request_set $sg_principal $upstream_http_x_stackgate_principal;
    auth_request_set $sg_branch    $upstream_http_x_stackgate_branch;
    auth_request_set $sg_env       $upstream_http_x_stackgate_environment;
    # The gate's values replace any the client sent; an empty one drops the header.
    proxy_set_header X-Stackgate-Stack       $sg_stack;
    proxy_set_header X-Stackgate-Principal   $sg_principal;
    proxy_set_header X-Stackgate-Branch      $sg_branch;
    proxy_set_header X-Stackgate-Environment $sg_env;
    # auth_request passes 401/403 through and turns anything else (400, 412) into 500:
    # either way ask the gate again so the client gets its status and JSON body.
    error_page 401 403 500 = @stackgate_denied;
    # No URI part: the upstream gets the client's request-target, the one the gate decided.
    proxy_pass http://{{.API}};
  }

  location = /_stackgate_auth {
    internal;
    proxy_pass http://stackgate/gate/auth?api={{.API}};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
    proxy_set_header X-Original-Method $request_method;
    proxy_set_header X-Original-URI $request_uri;
  }

  location @stackgate_denied {
    internal;
    # The final "?" keeps nginx from appending the client's query to the gate's.
    rewrite ^ /gate/auth?api={{.API}}? break;
    proxy_pass http://stackgate;
    proxy_method GET;
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
    proxy_set_header X-Original-Method $request_method;
    proxy_set_header X-Original-URI $request_uri;
  }
}
{{end}}`, "\n")))

// nginxMain wraps the sites in what a test run needs (foreground, files in
// a temporary directory).
var nginxMain = template.Must(template.New("main").Parse(`daemon off;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path {{.Dir}}/body; proxy_temp_path {{.Dir}}/proxy;
  fastcgi_temp_path {{.Dir}}/fastcgi; uwsgi_temp_path {{.Dir}}/uwsgi; scgi_temp_path {{.Dir}}/scgi;
{{.Sites}}}
`))

// caddySites is the Caddyfile the README gives: one site per API.
// forward_auth sends the gate X-Forwarded-Method and X-Forwarded-Uri and
// copies every client header, so client copies of the gate's headers, in
// every spelling Go's header canonicalisation leaves them in, are deleted
// first (route keeps the order as written: by default Caddy runs
// request_header after forward_auth). Caddy before 2.9 sets a header
// copy_headers names but the gate did not send to the literal
// placeholder (caddyserver/caddy#6610): the gate sends
// X-Stackgate-Environment only when an environment was named, so that
// header is deleted when it holds one.
var caddySites = template.Must(template.New("caddy").Parse(strings.TrimLeft(`
# In each site, route keeps the handlers in the order written (Caddy would
# otherwise run request_header after forward_auth). First go the client's
# Connection header (Caddy drops the headers it names on the way to the
# upstream: the gate's too) and client copies of the gate's headers, in the
# spellings Go leaves them in; then the gate decides; then an environment header holding a
# placeholder goes (Caddy < 2.9 sets a copied header the gate did not send to
# its placeholder; the gate sends this one only when an environment was named).
{{range .Sites}}
# The {{.API}} site.
http://:{{.Port}} {
	route {
		request_header -Connection
		request_header -X-Stackgate-*
		request_header -X-Stackgate_*
		request_header -X_stackgate-*
		request_header -X_stackgate_*
		forward_auth {{$.Gate}} {
			uri /gate/forward-auth?api={{.API}}
			copy_headers X-Stackgate-Stack X-Stackgate-Principal X-Stackgate-Branch X-Stackgate-Environment
		}
		@no_environment header_regexp X-Stackgate-Environment ^\{
		request_header @no_environment -X-Stackgate-Environment
		reverse_proxy {{.Upstream}}
	}
}
{{end}}`, "\n")))

// caddyMain adds the global options a test run needs.
var caddyMain = template.Must(template.New("main").Parse(`{
	admin off
	auto_https off
	storage file_system {{.Dir}}/storage
}
{{.Sites}}`))

func render(t *template.Template, data any) string {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		panic(err)
	}
	return b.String()
}
