import { ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './service-process';
import { waitFor } from './temp-stores';

const run = promisify(execFile);

/**
 * A store server of the test's own, on a free port in a temp folder, that the test may stop and
 * start again (fault tests) without touching the machine's shared servers. Its data survives
 * stop/start, like a real restart; dispose() removes everything.
 */
export interface PrivateServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

const isRoot = () => userInfo().uid === 0;

/** Runs a server tool as `user` when we are root (PostgreSQL and RabbitMQ refuse to run as root). */
function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
}

function ownedTempDir(prefix: string, user: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot()) {
    const { uid, gid } = idsOf(user);
    chownSync(dir, uid, gid);
  }
  return dir;
}

function idsOf(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user} on this machine`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A PostgreSQL cluster of its own (initdb + pg_ctl of the installed server), trust auth, user postgres. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  const bin = `/usr/lib/postgresql/${versions[versions.length - 1]}/bin`;
  const dir = ownedTempDir('aether-pg-', 'postgres');
  const data = join(dir, 'data');
  const port = await freePort();
  const pg = (args: string[]) => run(...asUser('postgres', `${bin}/pg_ctl`, args));
  await run(...asUser('postgres', `${bin}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']));
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`;
  const server: PrivateServer = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => {
      await pg(['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
    },
    // Fast mode: like a crash of every session, which is the fault the tests are about.
    stop: async () => {
      await pg(['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    },
    dispose: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A Redis of its own (no persistence). */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: PrivateServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: async () => {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'ping']).catch(() => ({ stdout: '' }))).stdout.trim() === 'PONG', {
        timeoutMs: 10_000,
        what: `redis on :${port}`,
      });
    },
    stop: async () => {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    dispose: () => server.stop(),
  };
  await server.start();
  return server;
}

/**
 * A RabbitMQ node of its own (`fault-<port>@localhost`), without plugins, guest allowed from
 * loopback. Durable queues and messages survive stop/start. Starts in ~5 s.
 */
export async function startPrivateRabbitMq(): Promise<PrivateServer> {
  const port = await freePort();
  const distPort = await freePort();
  const node = `fault${port}@localhost`;
  const dir = ownedTempDir('aether-rmq-', 'rabbitmq');
  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`);
  if (isRoot()) {
    const { uid, gid } = idsOf('rabbitmq');
    for (const f of ['mnesia', 'log', 'enabled_plugins', 'rabbitmq.conf']) chownSync(join(dir, f), uid, gid);
  }
  const env = {
    ...process.env,
    RABBITMQ_CONF_ENV_FILE: '/dev/null', // the machine's rabbitmq-env.conf names the shared node
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  let child: ChildProcess | undefined;
  const ctl = (args: string[]) => run('rabbitmqctl', ['-n', node, ...args], { env, timeout: 30_000 });
  const server: PrivateServer = {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    start: async () => {
      child = spawn('rabbitmq-server', [], { env, stdio: 'ignore' });
      // await_startup fails at once until the node has registered with epmd: retry it.
      await waitFor(() => ctl(['await_startup', '--timeout', '30']).then(() => true), { timeoutMs: 60_000, intervalMs: 300, what: `RabbitMQ node ${node}` });
    },
    stop: async () => {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      await ctl(['stop']).catch(() => child?.kill('SIGKILL'));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    },
    dispose: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
