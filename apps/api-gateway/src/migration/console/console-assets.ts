/**
 * The console's three static files, kept as strings so the swc build ships them with the app
 * (it copies no other files). Plain HTML, CSS and ES2020 — no framework, no build step. The
 * script writes every value with textContent, never as HTML, so route data and mismatch bodies
 * cannot inject markup.
 */
export const CONSOLE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aether migration console</title>
<link rel="stylesheet" href="/admin/console.css">
<script src="/admin/console.js" defer></script>
</head>
<body>
<header><h1>Aether migration console</h1><span id="whoami"></span> <button id="logout" hidden>Log out</button></header>
<main>
<section id="login-panel">
  <h2>Log in as an administrator</h2>
  <form id="login-form">
    <label>Email <input id="login-email" type="email" autocomplete="username" required></label>
    <label>Password <input id="login-password" type="password" autocomplete="current-password" required></label>
    <button id="login-submit" type="submit">Log in</button>
  </form>
  <p id="login-error" class="error" role="alert"></p>
</section>
<section id="routes-panel" hidden>
  <h2>Routes <small id="table-version"></small></h2>
  <p class="hint">Longest prefix wins. Counters: last <span id="window"></span>, every gateway replica. Refreshes every 2 s.</p>
  <p id="routes-error" class="error" role="alert"></p>
  <table id="routes">
    <thead><tr>
      <th>Prefix</th><th>Target</th><th>Rollout % to new</th><th>Shadow</th><th>Ignore paths</th>
      <th>Legacy req / err / p50 / p95</th><th>New req / err / p50 / p95</th><th>Shadow compared / mismatches</th><th>Version</th><th></th>
    </tr></thead>
    <tbody></tbody>
  </table>
  <h3>Add a route</h3>
  <form id="add-form">
    <input id="add-prefix" placeholder="/api/v1/chat" required>
    <select id="add-target"><option>legacy</option><option>new</option></select>
    <input id="add-rollout" type="number" min="0" max="100" placeholder="rollout %">
    <select id="add-shadow"><option>off</option><option>legacy</option><option>new</option></select>
    <button type="submit">Add</button>
  </form>
  <section id="mismatch-panel" hidden>
    <h3>Mismatches of <span id="mismatch-prefix"></span> <button id="mismatch-close" type="button">Close</button></h3>
    <p id="mismatch-noise" class="hint"></p>
    <div id="mismatch-list"></div>
  </section>
</section>
</main>
</body>
</html>
`;

export const CONSOLE_CSS = String.raw`body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; }
header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #20324d; color: #fff; }
header h1 { font-size: 1.1em; margin: 0; flex: 1; }
main { padding: 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .4em; text-align: left; vertical-align: top; }
td input[type=number] { width: 5em; }
td input.ignore { width: 14em; }
.error { color: #b00020; white-space: pre-wrap; }
.hint { color: #666; }
.served-legacy { background: #fff6e5; }
.served-new { background: #eef8ee; }
pre { background: #f6f6f6; padding: .5em; overflow: auto; max-height: 20em; }
form label { display: block; margin: .3em 0; }
`;

export const CONSOLE_JS = String.raw`'use strict';
(function () {
  var API = '/api/v1/admin/routes';
  var token = sessionStorage.getItem('aetherAdminToken');
  var timer = null;
  var editing = {};

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function problemText(status, body) {
    if (!body || typeof body !== 'object') return 'HTTP ' + status;
    var text = (body.detail || body.title || ('HTTP ' + status)) + (body.code ? ' (' + body.code + ')' : '');
    if (Array.isArray(body.errors)) body.errors.forEach(function (v) { text += '\n' + v.field + ': ' + v.message; });
    return text;
  }
  async function call(method, url, body) {
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    var res = await fetch(url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) });
    var data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch (e) { data = null; } }
    if (res.status === 401 && url !== '/api/v1/auth/login') { showLogin('Your session ended: log in again.'); }
    if (!res.ok) { var err = new Error(problemText(res.status, data)); err.status = res.status; throw err; }
    return data;
  }

  function showLogin(message) {
    token = null;
    sessionStorage.removeItem('aetherAdminToken');
    clearInterval(timer);
    $('login-panel').hidden = false;
    $('routes-panel').hidden = true;
    $('logout').hidden = true;
    $('whoami').textContent = '';
    $('login-error').textContent = message || '';
  }

  async function showRoutes() {
    var me = await call('GET', '/api/v1/auth/me');
    if (!me.permissions || me.permissions.indexOf('routes:manage') < 0) { showLogin(me.email + ' is not an administrator (routes:manage).'); return; }
    $('whoami').textContent = me.email;
    $('login-panel').hidden = true;
    $('routes-panel').hidden = false;
    $('logout').hidden = false;
    await refresh();
    clearInterval(timer);
    timer = setInterval(function () { refresh().catch(function () {}); }, 2000);
  }

  function fmtSide(s) {
    return s.requests + ' / ' + s.errors + ' / ' + (s.p50Ms === null ? '–' : s.p50Ms + ' ms') + ' / ' + (s.p95Ms === null ? '–' : s.p95Ms + ' ms');
  }

  function select(options, value) {
    var s = document.createElement('select');
    options.forEach(function (o) { var opt = el('option', o); opt.value = o; if (o === value) opt.selected = true; s.appendChild(opt); });
    return s;
  }

  function row(route) {
    var tr = document.createElement('tr');
    tr.dataset.prefix = route.prefix;
    tr.dataset.id = route.id;
    tr.className = route.target === 'legacy' && route.rolloutPercent === 0 ? 'served-legacy' : 'served-new';
    var draft = editing[route.id] || {};
    var target = select(['legacy', 'new'], draft.target || route.target); target.className = 'target';
    var rollout = document.createElement('input'); rollout.type = 'number'; rollout.min = '0'; rollout.max = '100'; rollout.className = 'rollout';
    rollout.value = draft.rolloutPercent !== undefined ? draft.rolloutPercent : String(route.rolloutPercent);
    var shadow = select(['off', 'legacy', 'new'], draft.shadow || route.shadow); shadow.className = 'shadow';
    var ignore = document.createElement('input'); ignore.className = 'ignore'; ignore.placeholder = 'a.b, items.*.id';
    ignore.value = draft.ignorePaths !== undefined ? draft.ignorePaths : route.ignorePaths.join(', ');
    [target, rollout, shadow, ignore].forEach(function (input) {
      input.addEventListener('input', function () {
        editing[route.id] = { target: target.value, rolloutPercent: rollout.value, shadow: shadow.value, ignorePaths: ignore.value };
      });
    });
    target.addEventListener('change', function () {
      rollout.value = target.value === 'new' ? '100' : '0';
      editing[route.id] = { target: target.value, rolloutPercent: rollout.value, shadow: shadow.value, ignorePaths: ignore.value };
    });
    var cells = [el('td', route.prefix, 'prefix'), el('td'), el('td'), el('td'), el('td'),
      el('td', fmtSide(route.stats.legacy), 'stats-legacy'), el('td', fmtSide(route.stats.new), 'stats-new'),
      el('td', route.stats.shadow.compared + ' / ' + route.stats.shadow.mismatches, 'stats-shadow'),
      el('td', 'v' + route.version + (route.updatedBy ? '' : ' (seeded)')), el('td')];
    cells[1].appendChild(target); cells[2].appendChild(rollout); cells[3].appendChild(shadow); cells[4].appendChild(ignore);
    var save = el('button', 'Save', 'save'); save.type = 'button';
    save.addEventListener('click', function () {
      var body = { target: target.value, shadow: shadow.value,
        ignorePaths: ignore.value.split(',').map(function (s) { return s.trim(); }).filter(Boolean) };
      if (rollout.value !== '') body.rolloutPercent = Number(rollout.value);
      act(call('PUT', API + '/' + route.id, body).then(function () { delete editing[route.id]; }));
    });
    var back = el('button', 'Roll back to legacy', 'rollback'); back.type = 'button';
    back.addEventListener('click', function () {
      act(call('PUT', API + '/' + route.id, { target: 'legacy', rolloutPercent: 0, shadow: 'off', ignorePaths: route.ignorePaths }).then(function () { delete editing[route.id]; }));
    });
    var mism = el('button', 'Mismatches', 'mismatches'); mism.type = 'button';
    mism.addEventListener('click', function () { act(showMismatches(route)); });
    var del = el('button', 'Delete', 'delete'); del.type = 'button';
    del.addEventListener('click', function () {
      if (confirm('Delete the route ' + route.prefix + '?')) act(call('DELETE', API + '/' + route.id).then(function () { delete editing[route.id]; }));
    });
    [save, back, mism, del].forEach(function (b) { cells[9].appendChild(b); });
    cells.forEach(function (c) { tr.appendChild(c); });
    return tr;
  }

  async function refresh(force) {
    var data = await call('GET', API);
    $('table-version').textContent = 'table version ' + data.version;
    var w = data.items.length ? data.items[0].stats.windowSeconds : 300;
    $('window').textContent = Math.round(w / 60) + ' min';
    var tbody = document.querySelector('#routes tbody');
    var active = document.activeElement;
    var typing = active && tbody.contains(active) && (active.tagName === 'INPUT' || active.tagName === 'SELECT');
    if (typing && !force) return; // the timer does not redraw a field the operator is editing
    tbody.textContent = '';
    data.items.forEach(function (r) { tbody.appendChild(row(r)); });
    $('routes-error').textContent = '';
  }

  function act(promise) {
    $('routes-error').textContent = '';
    return promise.then(function () { return refresh(true); }).catch(function (e) { $('routes-error').textContent = e.message; });
  }

  async function showMismatches(route) {
    var data = await call('GET', API + '/' + route.id + '/mismatches');
    $('mismatch-prefix').textContent = route.prefix;
    $('mismatch-noise').textContent = data.noise.length ? 'Learned noise (ignored): ' + data.noise.join(', ') : 'No noise learned yet.';
    var list = $('mismatch-list');
    list.textContent = '';
    if (!data.items.length) list.appendChild(el('p', 'No mismatches recorded.'));
    data.items.forEach(function (m) {
      var box = document.createElement('div');
      box.className = 'mismatch';
      box.appendChild(el('h4', m.at + '  ' + m.method + ' ' + m.url + '  (request ' + m.requestId + ')'));
      box.appendChild(el('p', 'Differs in: ' + m.differences.join(', ')));
      [m.served, m.shadow].forEach(function (a, i) {
        box.appendChild(el('strong', (i === 0 ? 'Served by ' : 'Shadow ') + a.side + ': ' + a.status + ' ' + a.contentType));
        box.appendChild(el('pre', typeof a.body === 'string' ? a.body : JSON.stringify(a.body, null, 2)));
      });
      list.appendChild(box);
    });
    $('mismatch-panel').hidden = false;
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      $('login-error').textContent = '';
      call('POST', '/api/v1/auth/login', { email: $('login-email').value, password: $('login-password').value })
        .then(function (res) {
          token = res.accessToken;
          sessionStorage.setItem('aetherAdminToken', token);
          $('login-password').value = '';
          return showRoutes();
        })
        .catch(function (e) { $('login-error').textContent = e.message; });
    });
    $('logout').addEventListener('click', function () { showLogin(''); });
    $('mismatch-close').addEventListener('click', function () { $('mismatch-panel').hidden = true; });
    $('add-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = { prefix: $('add-prefix').value.trim(), target: $('add-target').value, shadow: $('add-shadow').value };
      if ($('add-rollout').value !== '') body.rolloutPercent = Number($('add-rollout').value);
      act(call('POST', API, body).then(function () { $('add-prefix').value = ''; }));
    });
    if (token) showRoutes().catch(function () { showLogin(''); });
  });
})();
`;
