/**
 * Starts built services as real processes on free ports, each with its own throw-away stores,
 * for benchmarks. Run `npm run build` first; `npm run bench` does.
 */
import {
  createTempDatabase,
  createTempMongoDatabase,
  createTempVhost,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TempResource,
  uniqueName,
} from '@aether/testing';

export type AppName = 'security' | 'task-manager' | 'analytics' | 'api-gateway';

export interface RunningPlatform {
  urls: Partial<Record<AppName, string>>;
  grpc: Partial<Record<AppName, string>>;
  processes: Partial<Record<AppName, ServiceProcess>>;
  startupMs: Partial<Record<AppName, number>>;
  adminEmail: string;
  adminPassword: string;
  stop(): Promise<void>;
}

export async function startPlatform(apps: AppName[], extraEnv: Partial<Record<AppName, Record<string, string>>> = {}): Promise<RunningPlatform> {
  const resources: TempResource[] = [];
  const vhost = await createTempVhost('bench');
  resources.push(vhost);
  const ports: Record<AppName, { http: number; grpc: number }> = {} as never;
  for (const app of ['security', 'task-manager', 'analytics', 'api-gateway'] as AppName[]) {
    ports[app] = { http: await freePort(), grpc: await freePort() };
  }
  const adminEmail = 'bench-admin@aether.local';
  const adminPassword = 'bench-admin-password';
  const common = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    BIND_HOST: '127.0.0.1',
    RABBITMQ_URL: vhost.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    AUTH_JWKS_URL: `http://127.0.0.1:${ports.security.http}/.well-known/jwks.json`,
    SECURITY_GRPC_URL: `127.0.0.1:${ports.security.grpc}`,
    TASK_MANAGER_GRPC_URL: `127.0.0.1:${ports['task-manager'].grpc}`,
    ANALYTICS_GRPC_URL: `127.0.0.1:${ports.analytics.grpc}`,
  };
  const platform: RunningPlatform = {
    urls: {},
    grpc: {},
    processes: {},
    startupMs: {},
    adminEmail,
    adminPassword,
    async stop() {
      for (const p of Object.values(platform.processes).reverse()) await p?.stop();
      for (const r of resources.reverse()) await r.drop().catch(() => undefined);
    },
  };
  try {
    for (const app of apps) {
      const env: Record<string, string> = { ...common, HTTP_PORT: String(ports[app].http), GRPC_PORT: String(ports[app].grpc) };
      if (app === 'security' || app === 'task-manager') {
        const db = await createTempDatabase(`bench_${app.replace('-', '_')}`);
        resources.push(db);
        env.DATABASE_URL = db.url;
      }
      if (app === 'security') Object.assign(env, { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword });
      if (app === 'analytics') {
        const mongo = await createTempMongoDatabase('bench_analytics');
        resources.push(mongo);
        env.MONGODB_URL = mongo.url;
      }
      if (app === 'api-gateway') env.REDIS_KEY_PREFIX = `${uniqueName('bench')}:`;
      Object.assign(env, extraEnv[app] ?? {});
      const t0 = performance.now();
      platform.processes[app] = await startServiceProcess({ app, env, readyUrl: `http://127.0.0.1:${ports[app].http}/readyz`, timeoutMs: 60000 });
      platform.startupMs[app] = performance.now() - t0;
      platform.urls[app] = `http://127.0.0.1:${ports[app].http}`;
      platform.grpc[app] = `127.0.0.1:${ports[app].grpc}`;
    }
  } catch (e) {
    await platform.stop();
    throw e;
  }
  return platform;
}

/** Resident memory of a process in MiB (Linux /proc). */
export async function rssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

export function machineLine(): string {
  const os = require('node:os') as typeof import('node:os');
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export async function writeResult(name: string, markdown: string): Promise<void> {
  const { writeFile, mkdir } = await import('node:fs/promises');
  const { resolve } = await import('node:path');
  const dir = resolve(__dirname, '../../../bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, `${name}.md`), `${markdown.trim()}\n`);
  process.stdout.write(`${markdown.trim()}\n`);
}
