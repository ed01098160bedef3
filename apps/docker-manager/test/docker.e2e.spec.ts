/**
 * /api/v1/containers through real processes — api-gateway → docker-manager → a real dockerd the
 * suite starts (private socket and data root, busybox image made with `docker import`) — with the
 * events read off a RabbitMQ vhost of its own. Needs `bash scripts/build.sh` first.
 */
import * as amqp from 'amqplib';
import {
  createTempVhost,
  startApp,
  startDockerEngine,
  TestIdentities,
  uniqueName,
  waitFor,
  type DockerEngine,
  type StartedApp,
  type TempResource,
  type TestUser,
} from '@aether/testing';
import Redis from 'ioredis';

jest.setTimeout(180_000);

const identities = new TestIdentities();
const redisPrefix = `${uniqueName('gw_containers')}:`;
let engine: DockerEngine;
let vhost: TempResource;
let amqpConn: amqp.ChannelModel;
let dockerManager: StartedApp | undefined;
let gateway: StartedApp | undefined;
let base: string;
let admin: TestUser;
let developer: TestUser;
let viewer: TestUser;
const events: Array<{ type: string; subject?: string; time: number; data: any }> = [];

const LABEL = 'aether.managed=true';
/** Ids of the suite's containers. */
const ids: Record<string, string> = {};

async function run(name: string, args: string[], cmd: string[]): Promise<string> {
  const id = await engine.dockerOk(['run', '-d', '--name', name, ...args, engine.image, ...cmd]);
  ids[name] = id;
  return id;
}

beforeAll(async () => {
  [engine, vhost] = await Promise.all([startDockerEngine(), createTempVhost('docker_manager'), identities.start()]);
  amqpConn = await amqp.connect(vhost.url);
  const ch = await amqpConn.createChannel();
  await ch.assertExchange('aether.events', 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, 'aether.events', 'docker-manager.#');
  await ch.consume(
    queue,
    (m) => {
      if (!m) return;
      const body = JSON.parse(m.content.toString());
      events.push({ type: body.type, subject: body.subject, time: Date.now(), data: body.data });
    },
    { noAck: true },
  );

  // 20 numbered stdout lines and 3 stderr lines, then quiet (lines can be added with `docker exec`).
  await run('web', ['--label', LABEL, '--label', 'app=web'], ['sh', '-c', 'for i in $(seq 1 20); do echo "out $i"; done; for i in 1 2 3; do echo "err $i" >&2; done; exec sleep 100000']);
  await run('worker', ['--label', LABEL, '--label', 'app=worker', '-e', 'API_TOKEN=super-secret-value'], ['sh', '-c', 'exec sleep 100000']);
  await run('terminal', ['--label', LABEL, '-t'], ['sh', '-c', 'echo "tty one"; echo "tty two" >&2; exec sleep 100000']);
  await run('busy', ['--label', LABEL], ['sh', '-c', 'while :; do :; done']);
  await run('hidden', [], ['sh', '-c', 'echo "not for you"; exec sleep 100000']);
  await run('hidden-too', ['--label', 'aether.managed=false'], ['sh', '-c', 'exec sleep 100000']);

  dockerManager = await startApp('docker-manager', {
    DOCKER_HOST: engine.dockerHost,
    RABBITMQ_URL: vhost.url,
    AUTH_JWKS_URL: identities.jwksUrl,
    CONTAINER_LABEL: LABEL,
    LOG_LEVEL: 'info',
  });
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: identities.jwksUrl,
    DOCKER_MANAGER_GRPC_URL: dockerManager.grpcAddress,
  });
  base = gateway.httpUrl;
  [admin, developer, viewer] = await Promise.all([identities.user('admin'), identities.user('developer'), identities.user('viewer')]);
});

afterAll(async () => {
  await gateway?.stop(5000);
  await dockerManager?.stop(5000);
  await amqpConn?.close().catch(() => undefined);
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect().catch(() => undefined);
  const keys = await redis.keys(`${redisPrefix}*`).catch(() => [] as string[]);
  if (keys.length) await redis.del(...keys);
  await redis.quit().catch(() => undefined);
  await Promise.allSettled([engine?.stop(), vhost?.drop(), identities.stop()]);
});

interface Res {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function call(user: TestUser | undefined, method: string, path: string): Promise<Res> {
  const res = await fetch(base + path, { method, headers: user ? user.bearer() : {} });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

const withoutRequestId = (b: any) => {
  const { requestId: _ignored, ...rest } = b ?? {};
  return rest;
};

/** Reads SSE `data:` objects until `enough` says so (or the stream ends); then drops the connection. */
async function readEvents(path: string, user: TestUser, enough: (items: any[]) => boolean, timeoutMs = 10_000, onOpen?: () => void) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const items: any[] = [];
  let contentType = '';
  let ended = false;
  try {
    const res = await fetch(base + path, { headers: user.bearer(), signal: abort.signal });
    contentType = res.headers.get('content-type') ?? '';
    onOpen?.();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (!enough(items)) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) items.push({ ...JSON.parse(data.slice(6)), receivedAt: Date.now(), event: block.match(/^event: (.*)$/m)?.[1] });
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return { items, contentType, ended };
}

/** docker-manager's gauge of followed engine streams. */
async function openStreams(kind: 'logs' | 'stats'): Promise<number> {
  const text = await fetch(`${dockerManager!.httpUrl}/metrics`).then((r) => r.text());
  const m = new RegExp(`^docker_manager_open_streams\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('the allow-list', () => {
  it('lists only labelled containers, with the contract fields', async () => {
    const res = await call(admin, 'GET', '/api/v1/containers?limit=100');
    expect(res.status).toBe(200);
    const names = res.body.items.map((c: any) => c.name).sort();
    expect(names).toEqual(['busy', 'terminal', 'web', 'worker']);
    expect(res.body.nextCursor).toBeNull();
    const web = res.body.items.find((c: any) => c.name === 'web');
    expect(web).toEqual({
      id: ids.web,
      name: 'web',
      image: engine.image,
      state: 'running',
      status: expect.stringMatching(/^Up /),
      labels: { 'aether.managed': 'true', app: 'web' },
      createdAt: expect.stringMatching(/Z$/),
      startedAt: expect.stringMatching(/Z$/),
    });
  });

  it('filters by label and status, and pages with a cursor', async () => {
    const byLabel = await call(admin, 'GET', '/api/v1/containers?label=app=worker');
    expect(byLabel.body.items.map((c: any) => c.name)).toEqual(['worker']);
    const exited = await call(admin, 'GET', '/api/v1/containers?status=exited');
    expect(exited.status).toBe(200);
    expect(exited.body.items.map((c: any) => c.name)).not.toContain('web');
    const first = await call(admin, 'GET', '/api/v1/containers?limit=2');
    expect(first.body.items.map((c: any) => c.name)).toEqual(['busy', 'terminal']);
    const second = await call(admin, 'GET', `/api/v1/containers?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.items.map((c: any) => c.name)).toEqual(['web', 'worker']);
    expect((await call(admin, 'GET', '/api/v1/containers?status=sleeping')).status).toBe(400);
  });

  it('answers 404 for a container without the label — by id, prefix or name, on every route — exactly as for none', async () => {
    const unknown = await call(admin, 'GET', '/api/v1/containers/0123456789abcdef');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    for (const ref of [ids.hidden, ids.hidden.slice(0, 12), 'hidden', ids['hidden-too'], 'hidden-too']) {
      for (const [method, suffix] of [
        ['GET', ''],
        ['GET', '/logs'],
        ['GET', '/logs?follow=true'],
        ['GET', '/logs?download=true'],
        ['GET', '/stats'],
        ['GET', '/stats?stream=true'],
        ['POST', '/start'],
        ['POST', '/stop'],
        ['POST', '/restart'],
      ]) {
        const res = await call(admin, method, `/api/v1/containers/${ref}${suffix}`);
        expect({ ref, suffix, status: res.status }).toEqual({ ref, suffix, status: 404 });
        expect(withoutRequestId(res.body)).toEqual(withoutRequestId(unknown.body));
        expect(res.text).not.toContain('hidden');
        expect(res.text).not.toContain(ids.hidden.slice(0, 12));
      }
    }
    // The engine still runs them: nothing was done to them.
    expect(await engine.dockerOk(['inspect', '-f', '{{.State.Running}}', 'hidden'])).toBe('true');
  });
});

describe('rights', () => {
  it('lets a developer look but not act (403), and a viewer not even look', async () => {
    expect((await call(developer, 'GET', '/api/v1/containers')).status).toBe(200);
    expect((await call(developer, 'GET', `/api/v1/containers/${ids.web}`)).status).toBe(200);
    expect((await call(developer, 'GET', `/api/v1/containers/web/logs?tail=1`)).status).toBe(200);
    for (const action of ['start', 'stop', 'restart']) {
      const res = await call(developer, 'POST', `/api/v1/containers/web/${action}`);
      expect(res.status).toBe(403);
    }
    expect((await call(viewer, 'GET', '/api/v1/containers')).status).toBe(403);
    expect((await call(undefined, 'GET', '/api/v1/containers')).status).toBe(401);
    expect(await engine.dockerOk(['inspect', '-f', '{{.State.Running}}', 'web'])).toBe('true');
  });
});

describe('inspect', () => {
  it('shows ports, mounts, restarts and health, and never the environment', async () => {
    const res = await call(admin, 'GET', '/api/v1/containers/worker');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ids.worker, name: 'worker', ports: [], mounts: [], restartCount: 0, health: null, exitCode: null });
    expect(res.text).not.toContain('super-secret-value');
    expect(res.text).not.toContain('API_TOKEN');
    // A unique id prefix names it too.
    expect((await call(admin, 'GET', `/api/v1/containers/${ids.worker.slice(0, 10)}`)).body.id).toBe(ids.worker);
  });
});

describe('actions', () => {
  const audited = (action: string, outcome: string) =>
    events.filter((e) => e.type === 'docker-manager.container.action_audited' && e.data.action === action && e.data.outcome === outcome && e.data.containerId === ids.worker);

  it('stops, starts and restarts; repeating a start or stop is 200 and changes nothing; each is audited and published once', async () => {
    const stopped = await call(admin, 'POST', '/api/v1/containers/worker/stop?timeout=1');
    expect(stopped.status).toBe(200);
    expect(stopped.body.state).toBe('exited');
    const again = await call(admin, 'POST', '/api/v1/containers/worker/stop');
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('exited');
    expect(again.body.finishedAt).toBe(stopped.body.finishedAt);

    const started = await call(admin, 'POST', '/api/v1/containers/worker/start');
    expect(started.status).toBe(200);
    expect(started.body.state).toBe('running');
    const startedAgain = await call(admin, 'POST', `/api/v1/containers/${ids.worker}/start`);
    expect(startedAgain.status).toBe(200);
    expect(startedAgain.body.startedAt).toBe(started.body.startedAt);

    const restarted = await call(admin, 'POST', '/api/v1/containers/worker/restart?timeout=1');
    expect(restarted.status).toBe(200);
    expect(restarted.body.state).toBe('running');
    expect(restarted.body.startedAt > started.body.startedAt).toBe(true);

    await waitFor(() => audited('restart', 'changed').length === 1, { timeoutMs: 5000, what: 'the restart audit' });
    for (const [action, outcome] of [['stop', 'changed'], ['stop', 'unchanged'], ['start', 'changed'], ['start', 'unchanged'], ['restart', 'changed']]) {
      const found = audited(action, outcome);
      expect({ action, outcome, n: found.length }).toEqual({ action, outcome, n: 1 });
      expect(found[0].subject).toBe(admin.id);
      expect(found[0].data).toMatchObject({ containerName: 'worker', durationMs: expect.any(Number) });
    }
    // The developer's refused attempts never reached an action.
    expect(events.filter((e) => e.type === 'docker-manager.container.action_audited' && e.subject === developer.id)).toEqual([]);
    // The audit is also a structured log line: who, what, which container, the outcome.
    const auditLines = dockerManager!.process
      .output()
      .split('\n')
      .filter((l) => l.includes('"audit":"container.action"'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    expect(auditLines.filter((l) => l.containerId === ids.worker).map((l) => [l.action, l.outcome, l.userId, l.email])).toEqual([
      ['stop', 'changed', admin.id, admin.principal.email],
      ['stop', 'unchanged', admin.id, admin.principal.email],
      ['start', 'changed', admin.id, admin.principal.email],
      ['start', 'unchanged', admin.id, admin.principal.email],
      ['restart', 'changed', admin.id, admin.principal.email],
    ]);
    expect(auditLines[0]).toMatchObject({ containerName: 'worker', durationMs: expect.any(Number), time: expect.anything() });
    // State changes: one event each, from the API, with the acting user; no engine echo of them.
    await new Promise((r) => setTimeout(r, 1500));
    const changes = events.filter((e) => e.data.container?.id === ids.worker && e.type !== 'docker-manager.container.action_audited');
    expect(changes.map((e) => [e.type, e.data.origin, e.subject])).toEqual([
      ['docker-manager.container.stopped', 'api', admin.id],
      ['docker-manager.container.started', 'api', admin.id],
      ['docker-manager.container.restarted', 'api', admin.id],
    ]);
    expect(changes[0].data.container.state).toBe('exited');
  });
});

describe('logs', () => {
  it('tail=5 gives the last five lines, clean, stdout and stderr tagged apart', async () => {
    const res = await call(admin, 'GET', '/api/v1/containers/web/logs?tail=5&stderr=false');
    expect(res.status).toBe(200);
    expect(res.body.lines).toEqual(['out 16', 'out 17', 'out 18', 'out 19', 'out 20'].map((text) => ({ stream: 'stdout', text })));
    // No frame header bytes anywhere.
    expect([...res.text].filter((ch) => ch.charCodeAt(0) < 9)).toEqual([]);
    const errors = await call(admin, 'GET', '/api/v1/containers/web/logs?stdout=false');
    expect(errors.body.lines).toEqual(['err 1', 'err 2', 'err 3'].map((text) => ({ stream: 'stderr', text })));
    const both = await call(admin, 'GET', '/api/v1/containers/web/logs');
    expect(both.body.lines).toHaveLength(23);
    expect(both.body.lines.filter((l: any) => l.stream === 'stderr').map((l: any) => l.text)).toEqual(['err 1', 'err 2', 'err 3']);
    expect((await call(admin, 'GET', '/api/v1/containers/web/logs?stdout=false&stderr=false')).status).toBe(400);
    expect((await call(admin, 'GET', '/api/v1/containers/web/logs?tail=-1')).status).toBe(400);
  });

  it('timestamps gives each line its time; since leaves older lines out', async () => {
    const res = await call(admin, 'GET', '/api/v1/containers/web/logs?timestamps=true&tail=2&stderr=false');
    expect(res.body.lines).toEqual([
      { stream: 'stdout', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), text: 'out 19' },
      { stream: 'stdout', time: expect.any(String), text: 'out 20' },
    ]);
    const cut = new Date(Date.now() + 50).toISOString();
    await new Promise((r) => setTimeout(r, 300));
    await engine.dockerOk(['exec', 'web', 'sh', '-c', 'echo "after the cut" > /proc/1/fd/1']);
    const since = await call(admin, 'GET', `/api/v1/containers/web/logs?since=${encodeURIComponent(cut)}`);
    expect(since.status).toBe(200);
    expect(since.body.lines).toEqual([{ stream: 'stdout', text: 'after the cut' }]);
    expect((await call(admin, 'GET', '/api/v1/containers/web/logs?since=yesterday')).status).toBe(400);
  });

  it('reads a TTY container (no multiplexing) as stdout lines', async () => {
    const res = await call(admin, 'GET', '/api/v1/containers/terminal/logs');
    expect(res.status).toBe(200);
    expect(res.body.lines).toEqual([
      { stream: 'stdout', text: 'tty one' },
      { stream: 'stdout', text: 'tty two' },
    ]);
  });

  it('follow=true streams a line written after it began within 1 s, and stops when the client goes', async () => {
    let writtenAt = 0;
    let openWhileFollowing = -1;
    const { items, contentType } = await readEvents(
      '/api/v1/containers/web/logs?follow=true&tail=0',
      admin,
      (got) => got.some((l) => l.text === 'live line'),
      10_000,
      () => {
        setTimeout(() => {
          void openStreams('logs').then((n) => (openWhileFollowing = n));
          writtenAt = Date.now();
          void engine.dockerOk(['exec', 'web', 'sh', '-c', 'echo "live line" > /proc/1/fd/2']);
        }, 300);
      },
    );
    expect(contentType).toContain('text/event-stream');
    const line = items.find((l) => l.text === 'live line');
    expect(line).toMatchObject({ stream: 'stderr', text: 'live line' });
    expect(line.receivedAt - writtenAt).toBeLessThan(1000);
    expect(openWhileFollowing).toBe(1);
    // The client went: the engine stream behind it is closed too.
    await waitFor(async () => (await openStreams('logs')) === 0, { timeoutMs: 5000, what: 'the followed engine stream to close' });
  });

  it('download=true is a text/plain attachment', async () => {
    const res = await fetch(`${base}/api/v1/containers/web/logs?download=true&stderr=false&tail=3`, { headers: admin.bearer() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="web.log"');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const text = await res.text();
    expect(text).toBe('out 19\nout 20\nafter the cut\n');
    expect((await call(admin, 'GET', '/api/v1/containers/web/logs?download=true&follow=true')).status).toBe(400);
  });
});

describe('stats', () => {
  it('one sample with a CPU % from two engine samples, and sane numbers', async () => {
    const busy = await call(admin, 'GET', '/api/v1/containers/busy/stats');
    expect(busy.status).toBe(200);
    expect(busy.body).toEqual({
      cpuPercent: expect.any(Number),
      memoryBytes: expect.any(Number),
      memoryLimitBytes: expect.any(Number),
      networkRxBytes: 0,
      networkTxBytes: 0,
      pids: 1,
      readAt: expect.stringMatching(/Z$/),
    });
    // A busy loop: clearly above zero, at most one core (100 %) plus rounding.
    expect(busy.body.cpuPercent).toBeGreaterThan(5);
    expect(busy.body.cpuPercent).toBeLessThanOrEqual(105);
    expect(busy.body.memoryBytes).toBeGreaterThan(0);
    expect(busy.body.memoryLimitBytes).toBeGreaterThan(busy.body.memoryBytes);
    const idle = await call(admin, 'GET', '/api/v1/containers/worker/stats');
    expect(idle.body.cpuPercent).toBeLessThan(5);
  });

  it('stream=true sends a sample about every second', async () => {
    let openWhileReading = 0;
    const { items, contentType } = await readEvents('/api/v1/containers/busy/stats?stream=true', admin, (got) => {
      if (got.length === 1) void openStreams('stats').then((n) => (openWhileReading = n));
      return got.length >= 3;
    }, 10_000);
    expect(contentType).toContain('text/event-stream');
    expect(items).toHaveLength(3);
    expect(items.every((s) => typeof s.cpuPercent === 'number' && s.memoryBytes > 0)).toBe(true);
    const gap = items[2].receivedAt - items[1].receivedAt;
    expect(gap).toBeGreaterThan(500);
    expect(gap).toBeLessThan(2500);
    expect(openWhileReading).toBe(1);
    await waitFor(async () => (await openStreams('stats')) === 0, { timeoutMs: 5000, what: 'the stats stream to close' });
  });
});

describe('engine events', () => {
  it('publishes a change made on the host (not through the API) within 2 s', async () => {
    const before = Date.now();
    await engine.dockerOk(['stop', '-t', '0', 'busy']);
    const stopped = await waitFor(
      () => events.find((e) => e.type === 'docker-manager.container.stopped' && e.data.container?.id === ids.busy && e.data.origin === 'engine'),
      { timeoutMs: 5000, what: 'the stopped event' },
    );
    expect(stopped.time - before).toBeLessThan(2000);
    expect(stopped.subject).toBeUndefined();
    expect(stopped.data.container.state).toBe('exited');
  });

  it('publishes a crash as died with its exit code, and nothing about containers outside the allow-list', async () => {
    await run('crashy', ['--label', LABEL], ['sh', '-c', 'sleep 0.5; exit 3']);
    const died = await waitFor(() => events.find((e) => e.type === 'docker-manager.container.died' && e.data.container?.id === ids.crashy), {
      timeoutMs: 5000,
      what: 'the died event',
    });
    expect(died.data.exitCode).toBe(3);
    await engine.dockerOk(['restart', '-t', '0', 'hidden']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(events.filter((e) => e.data.container?.id === ids.hidden || e.data.containerId === ids.hidden)).toEqual([]);
  });
});
