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
  startChromaServer,
  StartedApp,
  TempResource,
  uniqueName,
} from '@aether/testing';

/** What a service needs to start (from services.yaml). */
interface AppSpec {
  /** Its peers' variable for its gRPC address; undefined: no gRPC server. */
  grpcUrlEnv: string | undefined;
  stores: readonly ('postgres' | 'mongodb' | 'redis' | 'rabbitmq' | 'chroma')[];
  /** Verifies access tokens: needs the issuer's JWKS URL. */
  auth: boolean;
  /** Signs access tokens: gets the benchmark administrator. */
  issuer: boolean;
  calls: readonly string[];
}

// >>> generated from services.yaml (apps) by `npm run manifest:gen` — do not edit
/** The services of the platform (services.yaml): what each needs to start. */
export const PLATFORM_APPS = {
  'security': { grpcUrlEnv: 'SECURITY_GRPC_URL', stores: ['postgres', 'rabbitmq'], auth: false, issuer: true, calls: [] },
  'task-manager': { grpcUrlEnv: 'TASK_MANAGER_GRPC_URL', stores: ['postgres', 'rabbitmq'], auth: true, issuer: false, calls: [] },
  'analytics': { grpcUrlEnv: 'ANALYTICS_GRPC_URL', stores: ['mongodb', 'rabbitmq'], auth: true, issuer: false, calls: [] },
  'docker-manager': { grpcUrlEnv: 'DOCKER_MANAGER_GRPC_URL', stores: ['rabbitmq'], auth: true, issuer: false, calls: [] },
  'integration-hub': { grpcUrlEnv: 'INTEGRATION_HUB_GRPC_URL', stores: ['postgres', 'rabbitmq'], auth: true, issuer: false, calls: [] },
  'ai-gateway': { grpcUrlEnv: 'AI_GATEWAY_GRPC_URL', stores: ['redis', 'rabbitmq'], auth: true, issuer: false, calls: [] },
  'rag': { grpcUrlEnv: 'RAG_GRPC_URL', stores: ['postgres', 'rabbitmq', 'chroma'], auth: true, issuer: false, calls: ['ai-gateway'] },
  'code-assistant': { grpcUrlEnv: 'CODE_ASSISTANT_GRPC_URL', stores: ['postgres', 'rabbitmq'], auth: true, issuer: false, calls: ['ai-gateway', 'security', 'integration-hub'] },
  'api-gateway': { grpcUrlEnv: undefined, stores: ['redis'], auth: true, issuer: false, calls: ['security', 'task-manager', 'analytics', 'docker-manager', 'integration-hub', 'ai-gateway', 'rag', 'code-assistant'] },
} as const satisfies Record<string, AppSpec>;
// <<< end of generated (apps)

export type AppName = keyof typeof PLATFORM_APPS;

export interface RunningPlatform {
  urls: Partial<Record<AppName, string>>;
  grpc: Partial<Record<AppName, string>>;
  processes: Partial<Record<AppName, ServiceProcess>>;
  startupMs: Partial<Record<AppName, number>>;
  /** The environment each app was started with (its throw-away store URLs, for a bench's own clients). */
  env: Partial<Record<AppName, Record<string, string>>>;
  adminEmail: string;
  adminPassword: string;
  stop(): Promise<void>;
}

/**
 * Starts `apps` in the order given (the issuer first: the others need its JWKS; callers after
 * their peers: they need their addresses), each with its own throw-away stores.
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
    env: {},
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
    const issuer = (Object.keys(PLATFORM_APPS) as AppName[]).find((a) => PLATFORM_APPS[a].issuer);
    for (const app of apps) {
      const spec: AppSpec = PLATFORM_APPS[app];
      const env: Record<string, string> = { NODE_ENV: 'test', LOG_LEVEL: 'warn' };
      const issuerApp = issuer && started[issuer];
      if (spec.auth && issuerApp) env.AUTH_JWKS_URL = `${issuerApp.httpUrl}/.well-known/jwks.json`;
      for (const peer of spec.calls as AppName[]) {
        const variable = PLATFORM_APPS[peer].grpcUrlEnv;
        if (variable && started[peer]) env[variable] = started[peer]!.grpcAddress;
      }
      for (const store of spec.stores) {
        if (store === 'postgres') {
          const db = await createTempDatabase(`bench_${app.replace(/-/g, '_')}`);
          resources.push(db);
          env.DATABASE_URL = db.url;
        } else if (store === 'mongodb') {
          const mongo = await createTempMongoDatabase(`bench_${app.replace(/-/g, '_')}`);
          resources.push(mongo);
          env.MONGODB_URL = mongo.url;
        } else if (store === 'rabbitmq') {
          env.RABBITMQ_URL = vhost.url;
        } else if (store === 'redis') {
          env.REDIS_URL = 'redis://127.0.0.1:6379';
          env.REDIS_KEY_PREFIX = `${uniqueName('bench')}:`;
        } else if (store === 'chroma') {
          // A `chroma run` of its own (removed with its data on drop).
          const chroma = await startChromaServer();
          resources.push({ url: chroma.url, name: `chroma:${chroma.port}`, drop: chroma.stop });
          env.CHROMA_URL = chroma.url;
        } else {
          throw new Error(`bench platform: no throw-away ${store} for ${app} yet`);
        }
      }
      if (spec.issuer) Object.assign(env, { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword });
      Object.assign(env, extraEnv[app] ?? {});
      platform.env[app] = env;
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
/** An access token of the platform's bootstrapped administrator (logs in through the gateway). */
export async function adminAccessToken(platform: RunningPlatform): Promise<string> {
  const login = await fetch(`${platform.urls['api-gateway']!}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: platform.adminEmail, password: platform.adminPassword }),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  return ((await login.json()) as { accessToken: string }).accessToken;
}

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
