/**
 * Starts built services as real processes on free ports, each with its own throw-away stores,
 * for benchmarks. Run `npm run build` first; `npm run bench` does.
 */
import {
  createTempDatabase,
  createTempMongoDatabase,
  createTempVhost,
  ServiceProcess,
  startApp,
  StartedApp,
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

/**
 * Starts `apps` in the order given (security first: the others need its JWKS; the gateway last:
 * it needs its peers' addresses), each with its own stores.
 */
export async function startPlatform(apps: AppName[], extraEnv: Partial<Record<AppName, Record<string, string>>> = {}): Promise<RunningPlatform> {
  const resources: TempResource[] = [];
  const started: Partial<Record<AppName, StartedApp>> = {};
  const adminEmail = 'bench-admin@aether.local';
  const adminPassword = 'bench-admin-password';
  const platform: RunningPlatform = {
    urls: {},
    grpc: {},
    processes: {},
    startupMs: {},
    adminEmail,
    adminPassword,
    async stop() {
      for (const app of Object.values(started).reverse()) await app?.stop();
      for (const r of resources.reverse()) await r.drop().catch(() => undefined);
    },
  };
  try {
    const vhost = await createTempVhost('bench');
    resources.push(vhost);
    for (const app of apps) {
      const env: Record<string, string> = { NODE_ENV: 'test', LOG_LEVEL: 'warn', RABBITMQ_URL: vhost.url, REDIS_URL: 'redis://127.0.0.1:6379' };
      if (started.security) env.AUTH_JWKS_URL = `${started.security.httpUrl}/.well-known/jwks.json`;
      for (const [peer, variable] of [['security', 'SECURITY_GRPC_URL'], ['task-manager', 'TASK_MANAGER_GRPC_URL'], ['analytics', 'ANALYTICS_GRPC_URL']] as const) {
        if (started[peer]) env[variable] = started[peer]!.grpcAddress;
      }
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
      const running = await startApp(app, env);
      platform.startupMs[app] = performance.now() - t0;
      started[app] = running;
      platform.processes[app] = running.process;
      platform.urls[app] = running.httpUrl;
      platform.grpc[app] = running.grpcAddress;
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
