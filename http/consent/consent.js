// The consent page of stackgate's OAuth authorization server. It reads the
// authorization request from wherever the client put it: the query before a
// "#!/apps/{app_uid}/authorize" fragment (the official SDK), the query inside
// that fragment, or /apps/{app_uid}/authorize?… (the documented form). The
// server checks the request (GET /manifests/{app_uid}/consent) before
// anything is shown; a bad one is an error page and never a redirect.

const $ = (id) => document.getElementById(id);
const SESSION = 'stackgate.authtoken';

function request() {
  const params = new URLSearchParams(location.search);
  let app = null;
  const m = location.pathname.match(/^\/apps\/([^/]+)\/authorize\/?$/);
  if (m) app = decodeURIComponent(m[1]);
  const hash = location.hash.replace(/^#!?/, '');
  const hm = hash.match(/^\/apps\/([^/?]+)\/authorize\/?(?:\?(.*))?$/);
  if (hm) {
    app = decodeURIComponent(hm[1]);
    for (const [k, v] of new URLSearchParams(hm[2] || '')) params.set(k, v);
  }
  return { app, params };
}

function show(id) {
  for (const s of ['error', 'login', 'consent']) $(s).hidden = s !== id;
  $('status').textContent = '';
}

function fail(text) {
  $('error-text').textContent = text;
  show('error');
}

async function api(method, path, { body, authtoken } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (authtoken) headers.authtoken = authtoken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
  let data = {};
  try { data = await res.json(); } catch { /* not JSON */ }
  return { ok: res.ok, status: res.status, data };
}

async function main() {
  const { app, params } = request();
  if (!app) return fail('The address names no app.');
  const query = new URLSearchParams();
  for (const k of ['client_id', 'redirect_uri', 'scope', 'state', 'response_type', 'code_challenge', 'code_challenge_method']) {
    if (params.has(k)) query.set(k, params.get(k));
  }
  const check = await api('GET', `/manifests/${encodeURIComponent(app)}/consent?${query}`);
  if (!check.ok) return fail(check.data.error_message || 'The authorization request is not valid.');
  const c = check.data;
  $('title').textContent = `Authorize ${c.app.name}`;

  let authtoken = sessionStorage.getItem(SESSION);
  let user = null;
  if (authtoken) {
    const me = await api('GET', '/v3/user', { authtoken });
    if (me.ok) user = me.data.user; else { sessionStorage.removeItem(SESSION); authtoken = null; }
  }
  if (!user) {
    show('login');
    $('email').focus();
    await new Promise((resolve) => {
      $('login').addEventListener('submit', async (ev) => {
        ev.preventDefault();
        $('login-button').disabled = true;
        const r = await api('POST', '/v3/user-session', { body: { user: { email: $('email').value, password: $('password').value } } });
        $('login-button').disabled = false;
        if (!r.ok) {
          $('login-error').textContent = r.data.error_message || 'Login failed.';
          $('login-error').hidden = false;
          return;
        }
        user = r.data.user;
        authtoken = user.authtoken;
        sessionStorage.setItem(SESSION, authtoken);
        resolve();
      });
    });
  }

  $('app-name').textContent = c.app.name;
  $('user-email').textContent = user.email;
  const list = $('scopes');
  list.replaceChildren(...c.scopes.map((s) => {
    const li = document.createElement('li');
    li.textContent = s.description;
    li.title = s.scope;
    li.dataset.scope = s.scope;
    return li;
  }));
  // The stack of an installed app is named only to its members, once signed in.
  let stack = c.stack;
  if (stack) {
    const again = await api('GET', `/manifests/${encodeURIComponent(app)}/consent?${query}`, { authtoken });
    if (again.ok) stack = again.data.stack;
  }
  $('stack').textContent = !stack ? 'On every stack you are a member of.'
    : stack.name ? `On the stack ${stack.name} only.` : 'On one stack only, which you are not a member of.';
  show('consent');

  $('deny').addEventListener('click', () => location.assign(c.deny_url));
  $('authorize').addEventListener('click', async () => {
    $('authorize').disabled = true;
    const body = {};
    // As the client asked: a redirect_uri it named must come back at the
    // token endpoint (RFC 6749 §4.1.3), one it did not name need not.
    for (const [k, v] of query) body[k] = v;
    const r = await api('POST', `/manifests/${encodeURIComponent(app)}/authorize`, { body, authtoken });
    if (!r.ok) {
      $('authorize').disabled = false;
      return fail(r.data.error_message || 'The authorization failed.');
    }
    location.assign(r.data.data.redirect_url);
  });
}

main().catch((e) => fail(String(e)));
