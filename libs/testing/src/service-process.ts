import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** The workspace root: the nearest folder holding package.json (from source or from dist/). */
function workspaceRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(resolve(dir, 'package.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

const ROOT = workspaceRoot();

/** A free TCP port on 127.0.0.1 (asks the kernel, then releases it). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

export interface ServiceProcess {
  app: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * glibc malloc settings every service process starts with (deploy/Dockerfile and scripts/dev.sh
 * set the same): two arenas instead of one per thread that ever allocated (libuv's pool, V8's
 * workers), and a fixed trim threshold (no dynamic growth of it). They alone did not bring RSS
 * back after a soak (still 1.25–1.37× idle for four services): free() returns only a heap's top.
 * What did is the kit's malloc_trim after the idle collection (service-kit memory/native-heap.ts).
 */
export const SERVICE_ALLOCATOR_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' } as const;

/**
 * Starts a built app (`dist/apps/<app>/src/main.bundle.js`, made by `npm run build`) as a real Node
 * process and waits until `readyUrl` answers 200.
 */
export async function startServiceProcess(opts: {
  app: string;
  env: Record<string, string>;
  readyUrl: string;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  // The bundle's loader (tools/bundle-service.mjs), as every launcher runs it.
  const entry = resolve(ROOT, 'dist/apps', opts.app, 'src/main.bundle.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  // Same start as the image: the tracing preload first (it stays off unless OTEL_* is set), no
  // --enable-source-maps (deploy/Dockerfile says why; NODE_OPTIONS in env can add it).
  const tracing = resolve(ROOT, 'dist/libs/service-kit/src/tracing/tracing.js');
  const child = spawn(process.execPath, ['-r', tracing, entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...SERVICE_ALLOCATOR_ENV, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exitP = new Promise<number | null>((r) => child.once('exit', (code) => { exited = true; r(code); }));
  const proc: ServiceProcess = {
    app: opts.app,
    child,
    output: () => out,
    async stop(graceMs = 10000) {
      if (exited) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exitP;
      clearTimeout(t);
      return code;
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 20000);
  for (;;) {
    if (exited) throw new Error(`${opts.app} exited during start-up (code ${child.exitCode}):\n${out}`);
    try {
      const r = await fetch(opts.readyUrl, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return proc;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await proc.stop(2000);
      throw new Error(`${opts.app} not ready at ${opts.readyUrl} within ${opts.timeoutMs ?? 20000} ms:\n${out}`);
    }
    // Short: the time to ready is measured through this loop (bench/startup-memory.ts).
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StartedApp {
  process: ServiceProcess;
  /** Management (or, for the gateway, public) HTTP base URL. */
  httpUrl: string;
  /** host:port of its gRPC server, for a peer's `<APP>_GRPC_URL`. */
  grpcAddress: string;
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts a built app on free loopback ports (BIND_HOST, HTTP_PORT, GRPC_PORT set) and waits for
 * /readyz. A port found free can be taken by a parallel test before the child binds it, so a
 * start that fails with EADDRINUSE is retried on new ports.
 */
export async function startApp(app: string, env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<StartedApp> {
  for (let attempt = 1; ; attempt++) {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    try {
      const proc = await startServiceProcess({
        app,
        env: { BIND_HOST: '127.0.0.1', GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort), ...env },
        readyUrl: `${httpUrl}/readyz`,
        timeoutMs: opts.timeoutMs ?? 60_000,
      });
      return { process: proc, httpUrl, grpcAddress: `127.0.0.1:${grpcPort}`, stop: (graceMs) => proc.stop(graceMs) };
    } catch (e) {
      if (attempt >= 3 || !String(e).includes('EADDRINUSE')) throw e;
    }
  }
}
