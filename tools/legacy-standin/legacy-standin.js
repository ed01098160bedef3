'use strict';
/**
 * A stand-in for the legacy Python monolith (AETHER-AI, FastAPI) — the real one is not here — so
 * the dev runner and the tests can show routes being migrated off it. Plain Node, no build:
 *
 *   LEGACY_STANDIN_PORT=8000 node tools/legacy-standin/legacy-standin.js
 *
 * It answers a few of the monolith's routes the way it would, trusting the identity the gateway
 * sends (X-Aether-User-Id):
 *   GET  /health                      {"status":"healthy"}
 *   GET  /api/v1/docs                 the monolith's documents (./seeds, a copy of ../shared/seeds; SEEDS_DIR)
 *   GET  /api/v1/docs/{id}            one document, with its text
 *   GET  /api/v1/tasks                the caller's tasks, as {items, nextCursor} (the contract's shape)
 *   POST /api/v1/tasks                {title, description?, priority?} → 201 a task
 *   GET  /api/v1/chat/messages        the caller's chat messages (a route only the monolith has)
 *   POST /api/v1/chat/messages        {content} → 201
 *   ANY  /api/v1/legacy/echo[/...]    echoes method, path, query, headers and body, plus noise
 *                                     (servedAt, nonce) — what a diff must learn to ignore
 * Every answer says `X-Legacy-Standin: 1`.
 */
const { createServer } = require('node:http');
const { randomUUID } = require('node:crypto');
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

// A copy of the monolith team's documents (../shared/seeds), so a clean clone serves them too.
const DEFAULT_SEEDS_DIR = resolve(__dirname, 'seeds');

function loadDocs(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt') || f.endsWith('.md'))
    .sort()
    .map((file) => {
      const content = readFileSync(join(dir, file), 'utf8');
      const heading = /^#\s+(.+)$/m.exec(content);
      return { id: file.replace(/\.(txt|md)$/, ''), title: heading ? heading[1].trim() : file, bytes: Buffer.byteLength(content), content };
    });
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-legacy-standin': '1', ...headers });
  res.end(text);
}

function readBody(req, limit = 8 * 1024 * 1024) {
  return new Promise((resolveBody, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function jsonOf(buffer) {
  try {
    return buffer.length ? JSON.parse(buffer.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the stand-in on `port` (0: any free one). Options: `seedsDir`, `host`. Resolves to
 * { url, port, requests, setDelay(prefix, ms), reset(), stop() } — `requests` lists every request
 * received ({method, url, headers, bodyBytes}), which tests use to prove what reached the monolith.
 */
async function startLegacyStandin(options = {}) {
  const docs = loadDocs(options.seedsDir || process.env.SEEDS_DIR || DEFAULT_SEEDS_DIR);
  const tasks = new Map(); // user id → tasks
  const messages = new Map();
  const delays = new Map(); // path prefix → ms
  const requests = [];

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://standin');
    const path = url.pathname;
    const user = req.headers['x-aether-user-id'] || 'anonymous';
    let body;
    try {
      body = await readBody(req);
    } catch {
      return send(res, 413, { detail: 'Request body too large' });
    }
    requests.push({ method: req.method, url: req.url, headers: { ...req.headers }, bodyBytes: body.length });
    for (const [prefix, ms] of delays) {
      if (path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) {
        await new Promise((r) => setTimeout(r, ms));
        break;
      }
    }
    if (res.destroyed) return;

    if (path === '/health') return send(res, 200, { status: 'healthy', service: 'aether-ai-monolith' });
    if (path === '/api/v1/docs' && req.method === 'GET') return send(res, 200, { items: docs.map((d) => ({ id: d.id, title: d.title, bytes: d.bytes })), nextCursor: null });
    const doc = /^\/api\/v1\/docs\/([^/]+)$/.exec(path);
    if (doc && req.method === 'GET') {
      const found = docs.find((d) => d.id === decodeURIComponent(doc[1]));
      return found ? send(res, 200, found) : send(res, 404, { detail: 'Not Found' });
    }
    if (path === '/api/v1/tasks') {
      const mine = tasks.get(user) || [];
      if (req.method === 'GET') return send(res, 200, { items: mine, nextCursor: null });
      if (req.method === 'POST') {
        const input = jsonOf(body);
        if (!input || typeof input.title !== 'string' || !input.title.trim()) return send(res, 422, { detail: [{ loc: ['body', 'title'], msg: 'field required' }] });
        const now = new Date().toISOString();
        const task = {
          id: randomUUID(), title: input.title, description: input.description || '', status: 'todo', priority: input.priority || 'medium',
          labels: [], dueAt: null, assigneeId: null, ownerId: user, createdAt: now, updatedAt: now, completedAt: null, version: 1,
        };
        tasks.set(user, [task, ...mine]);
        return send(res, 201, task);
      }
    }
    if (path === '/api/v1/chat/messages') {
      const mine = messages.get(user) || [];
      if (req.method === 'GET') return send(res, 200, { items: mine, nextCursor: null });
      if (req.method === 'POST') {
        const input = jsonOf(body);
        if (!input || typeof input.content !== 'string') return send(res, 422, { detail: [{ loc: ['body', 'content'], msg: 'field required' }] });
        const message = { id: randomUUID(), role: 'user', content: input.content, createdAt: new Date().toISOString() };
        messages.set(user, [...mine, message]);
        return send(res, 201, message);
      }
    }
    if (path === '/api/v1/legacy/echo' || path.startsWith('/api/v1/legacy/echo/')) {
      return send(res, 200, {
        method: req.method,
        path,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        bodyBytes: body.length,
        body: jsonOf(body) ?? null,
        servedAt: new Date().toISOString(),
        nonce: randomUUID(),
      });
    }
    return send(res, 404, { detail: 'Not Found' });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(options.port ?? 0, options.host || '127.0.0.1', r));
  const port = server.address().port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    setDelay(prefix, ms) {
      if (ms > 0) delays.set(prefix, ms);
      else delays.delete(prefix);
    },
    reset() {
      requests.length = 0;
      delays.clear();
    },
    stop() {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

module.exports = { startLegacyStandin };

if (require.main === module) {
  const port = Number(process.env.LEGACY_STANDIN_PORT || 8000);
  startLegacyStandin({ port, host: process.env.BIND_HOST || '127.0.0.1' }).then((s) => {
    console.log(JSON.stringify({ msg: 'legacy stand-in listening', url: `http://${process.env.BIND_HOST || '127.0.0.1'}:${s.port}` }));
    const stop = () => s.stop().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
