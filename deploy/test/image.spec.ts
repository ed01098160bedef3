// The container image: the curl-free health check script against a real HTTP server, and the
// Dockerfile's shape (no registry is reachable here, so the image itself is not built in tests).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './compose-harness';

const HEALTHCHECK = join(ROOT, 'deploy/healthcheck.js');

function runHealthcheck(port: number, path?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HEALTHCHECK, ...(path ? [path] : [])], {
      env: { ...process.env, HTTP_PORT: String(port) },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('deploy/healthcheck.js', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/readyz' ? 503 : 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('passes when /healthz (the default path) answers 2xx on HTTP_PORT', async () => {
    expect(await runHealthcheck(port)).toBe(0);
    expect(seen).toContain('/healthz');
  });

  it('fails when the probed endpoint is not healthy', async () => {
    expect(await runHealthcheck(port, '/readyz')).toBe(1);
  });

  it('fails when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await runHealthcheck(freePort)).toBe(1);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
  // Instructions with their continuation lines joined.
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = instructions.reduce<string[][]>((acc, l) => (l.startsWith('FROM ') ? [...acc, [l]] : (acc[acc.length - 1]?.push(l), acc)), []);
  const runtime = stages[stages.length - 1];

  it('builds in stages from node:20-bookworm-slim and keeps APP out of the shared build stage', () => {
    expect(instructions[0]).toBe('ARG NODE_IMAGE=node:20-bookworm-slim');
    const names = stages.map((s) => / AS ([a-z-]+)$/.exec(s[0])?.[1]);
    expect(names).toEqual(['builder', 'prod-deps', 'app-dist', 'runtime']);
    const builder = stages[0].join('\n');
    expect(builder).toMatch(/npm ci/);
    expect(builder).toMatch(/bash tools\/proto-gen\.sh && npm run build/);
    expect(builder).not.toMatch(/\$\{?APP/); // one cached build for every app image
    expect(stages[1].join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('runs as a numeric non-root user under tini with a health check and the protos', () => {
    const text = runtime.join('\n');
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(text);
    expect(Number(user?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/NODE_ENV=production/);
    expect(text).toMatch(/PROTO_DIR=\/app\/proto/);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(text).toMatch(/^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck\.js", "\/healthz"\]$/m);
    // Tracing is preloaded so its instrumentations patch modules before the app loads them.
    expect(text).toMatch(/^CMD .*exec node -r \.\/dist\/libs\/service-kit\/src\/tracing\/tracing\.js \\"dist\/apps\/\$\{APP\}\/src\/main\.bundle\.js\\"/m);
    expect(text).toMatch(/COPY --from=app-dist \/out\/ \.\//);
    expect(stages[2].join('\n')).toMatch(/cp -r proto \/out\/proto/);
  });

  it('keeps secrets and host artefacts out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', 'dist', '.git', '.env', '.env.*', '.tools']) expect(ignored).toContain(entry);
  });
});
