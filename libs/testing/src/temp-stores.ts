import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Throw-away stores for integration tests: each test file gets its own PostgreSQL database,
 * RabbitMQ vhost and Redis key prefix, so suites run in parallel processes without sharing state.
 * Connection defaults are this machine's local servers; TEST_* variables override them.
 */
export const TEST_PG_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const TEST_RABBITMQ_API = process.env.TEST_RABBITMQ_API ?? 'http://guest:guest@127.0.0.1:15672/api';
export const TEST_MONGODB_URL = process.env.TEST_MONGODB_URL ?? 'mongodb://127.0.0.1:27017';

export function uniqueName(prefix: string): string {
  return `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface TempResource {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function createTempDatabase(prefix = 'test'): Promise<TempResource> {
  const name = uniqueName(prefix);
  const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(TEST_PG_ADMIN_URL, name),
    async drop() {
      const c = new Client({ connectionString: TEST_PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

async function rabbitApi(method: string, path: string, body?: unknown): Promise<void> {
  const api = new URL(TEST_RABBITMQ_API);
  const auth = Buffer.from(`${decodeURIComponent(api.username)}:${decodeURIComponent(api.password)}`).toString('base64');
  api.username = '';
  api.password = '';
  const res = await fetch(`${api.toString().replace(/\/$/, '')}${path}`, {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok && res.status !== 404) {
    throw new Error(`RabbitMQ management ${method} ${path} → ${res.status} ${await res.text()}`);
  }
}

/** A fresh RabbitMQ vhost (needs the management plugin, which scripts/infra.sh enables). */
export async function createTempVhost(prefix = 'test'): Promise<TempResource> {
  const name = uniqueName(prefix);
  const user = decodeURIComponent(new URL(TEST_RABBITMQ_URL).username || 'guest');
  await rabbitApi('PUT', `/vhosts/${encodeURIComponent(name)}`);
  await rabbitApi('PUT', `/permissions/${encodeURIComponent(name)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  const u = new URL(TEST_RABBITMQ_URL);
  u.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: u.toString(),
    drop: () => rabbitApi('DELETE', `/vhosts/${encodeURIComponent(name)}`),
  };
}

/** A MongoDB database name on the test server (FerretDB here); drop() removes it. */
export async function createTempMongoDatabase(prefix = 'test'): Promise<TempResource> {
  const name = uniqueName(prefix);
  const u = new URL(TEST_MONGODB_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    name,
    url,
    async drop() {
      const mongoose = await import('mongoose');
      const conn = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 3000 }).asPromise();
      try {
        await conn.dropDatabase();
      } finally {
        await conn.close();
      }
    },
  };
}

/** Polls `probe` until it returns a truthy value or the time runs out. */
type Falsy = undefined | null | false | 0 | '';

export async function waitFor<T>(
  probe: () => Promise<T | Falsy> | T | Falsy,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as T;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${opts.what ?? 'condition'}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
