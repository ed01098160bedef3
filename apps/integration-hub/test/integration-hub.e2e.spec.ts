/**
 * integration-hub through the gateway, as real processes (`bash scripts/build.sh` first) on real
 * PostgreSQL and RabbitMQ: connections with write-only secrets, verified GitHub/Slack/Discord
 * intake into events, rules → deliveries to fake Slack/Discord/GitHub servers speaking their
 * wire protocol, retries, dead letters, replay, per-endpoint isolation and outbound safety.
 */
import { writeFileSync } from 'node:fs';
import { createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import {
  createTempDatabase,
  createTempVhost,
  githubSignature,
  startApp,
  TestIdentities,
  uniqueName,
  waitFor,
  type StartedApp,
  type TempResource,
  type TestUser,
} from '@aether/testing';
import { DISCORD_WEBHOOK, FakePlatforms, GITHUB_TOKEN, SLACK_BOT_TOKEN } from './support/fake-platforms';

jest.setTimeout(120_000);

const GITHUB_WEBHOOK_SECRET = 'gh-webhook-secret-DO-NOT-LEAK-1f2e3d';
const SLACK_SIGNING_SECRET = 'slack-signing-secret-DO-NOT-LEAK-9a8b7c';
const WEBHOOK_SIGNING_SECRET = `whsec_${Buffer.from('standard-webhooks-secret-DO-NOT-LEAK!').toString('base64')}`;
const discordKeys = generateKeyPairSync('ed25519');
const DISCORD_PUBLIC_KEY = Buffer.from(discordKeys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const SECRETS = ['incomingsecretXYZ', GITHUB_WEBHOOK_SECRET, SLACK_SIGNING_SECRET, WEBHOOK_SIGNING_SECRET, SLACK_BOT_TOKEN, GITHUB_TOKEN, DISCORD_WEBHOOK.token];

const identities = new TestIdentities();
const fakes = new FakePlatforms();
const redisPrefix = `${uniqueName('gw_hub')}:`;
let database: TempResource;
let vhost: TempResource;
let hub: StartedApp | undefined;
let gateway: StartedApp | undefined;
let admin: TestUser;
let developer: TestUser;
let amqp: ChannelModel;
const wire: { type: string; data: Record<string, unknown> }[] = [];
/** Every answer body the API gave in this suite (checked for secrets at the end). */
const answers: string[] = [];

interface Res {
  status: number;
  headers: Record<string, string>;
  body: any;
  text: string;
}

async function api(method: string, path: string, body?: unknown, user: TestUser | null = admin): Promise<Res> {
  const res = await fetch(gateway!.httpUrl + path, {
    method,
    headers: { ...(user ? user.bearer() : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, headers: Object.fromEntries(res.headers), body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined, text };
}

async function hook(provider: string, connectionId: string, raw: string | Buffer, headers: Record<string, string>): Promise<Res & { ms: number }> {
  const started = Date.now();
  const res = await fetch(`${gateway!.httpUrl}/api/v1/webhooks/${provider}/${connectionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, headers: Object.fromEntries(res.headers), body: text ? JSON.parse(text) : undefined, text, ms: Date.now() - started };
}

function githubHeaders(raw: string, event: string, delivery = randomUUID(), secret = GITHUB_WEBHOOK_SECRET) {
  return { 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': githubSignature(secret, raw) };
}
function slackHeaders(raw: string, ts = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', SLACK_SIGNING_SECRET).update(`v0:${ts}:${raw}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature };
}
function discordHeaders(raw: string, ts = Math.floor(Date.now() / 1000)) {
  const signature = sign(null, Buffer.from(`${ts}${raw}`), discordKeys.privateKey).toString('hex');
  return { 'x-signature-timestamp': String(ts), 'x-signature-ed25519': signature };
}

async function connection(kind: string, name: string, config: Record<string, string>, secrets: Record<string, string>): Promise<string> {
  const res = await api('POST', '/api/v1/integrations', { kind, name, config, secrets });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function rule(on: string, action: Record<string, unknown>, filter?: Record<string, unknown>): Promise<string> {
  const res = await api('POST', '/api/v1/integrations/rules', { name: `rule ${on}`, on, filter, action });
  expect([res.status, res.text]).toEqual([201, expect.any(String)]);
  return res.body.id;
}

/** A signed GitHub push-like event of a type only `rule` listens to: one event, one delivery per rule. */
let pushCounter = 0;
async function githubEvent(connectionId: string, event: string, payload: Record<string, unknown> = {}): Promise<string> {
  const raw = JSON.stringify({ action: 'opened', repository: { full_name: 'acme/api' }, sender: { login: 'octocat' }, n: ++pushCounter, ...payload });
  const res = await hook('github', connectionId, raw, githubHeaders(raw, event));
  expect(res.status).toBe(200);
  return res.body.eventType;
}

async function deliveriesOf(ruleId: string): Promise<any[]> {
  return (await api('GET', `/api/v1/integrations/deliveries?ruleId=${ruleId}&limit=100`)).body.items;
}

async function settled(ruleId: string, count: number, statuses: string[], timeoutMs = 20_000): Promise<any[]> {
  return waitFor(
    async () => {
      const items = await deliveriesOf(ruleId);
      return items.length === count && items.every((d) => statuses.includes(d.status)) ? items : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `${count} deliveries of rule ${ruleId} in ${statuses.join('/')}` },
  );
}

let githubId: string;
let slackId: string;
let discordId: string;

beforeAll(async () => {
  [database, vhost] = await Promise.all([createTempDatabase('hub_e2e'), createTempVhost('hub_e2e'), identities.start(), fakes.start()]);
  hub = await startApp('integration-hub', {
    DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    AUTH_JWKS_URL: identities.jwksUrl,
    LOG_LEVEL: 'debug',
    INTEGRATION_HUB_SECRET_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    DELIVERY_RETRY_DELAYS_MS: '300',
    DELIVERY_MAX_ATTEMPTS: '4',
    DELIVERY_TIMEOUT_MS: '6000',
    DELIVERY_CONCURRENCY_PER_CONNECTION: '2',
    DELIVERY_POLL_INTERVAL_MS: '100',
    // Isolation here comes from the per-connection slots; the circuit has its own unit test.
    DELIVERY_BREAKER_THRESHOLD: '1000',
  });
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: identities.jwksUrl,
    LOG_LEVEL: 'info',
    GRPC_DEADLINE_MS: '5000',
    INTEGRATION_HUB_GRPC_URL: hub.grpcAddress,
    WEBHOOK_BODY_LIMIT_BYTES: '65536',
    RATE_LIMIT_ANON_POINTS: '100000',
    RATE_LIMIT_DEFAULT_POINTS: '100000',
  });
  [admin, developer] = await Promise.all([identities.user('admin'), identities.user('developer')]);

  // Everything the hub publishes, as it reaches the broker.
  amqp = await connect(vhost.url);
  const ch = await amqp.createChannel();
  await ch.assertExchange('aether.events', 'topic', { durable: true });
  const q = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(q.queue, 'aether.events', 'integration-hub.#');
  await ch.consume(q.queue, (m: ConsumeMessage | null) => {
    if (!m) return;
    const e = JSON.parse(m.content.toString()) as { type: string; data: Record<string, unknown> };
    wire.push(e);
    ch.ack(m);
  });

  githubId = await connection('github', 'acme/api', { apiBaseUrl: `${fakes.baseUrl}/github` }, { webhookSecret: GITHUB_WEBHOOK_SECRET, token: GITHUB_TOKEN });
  slackId = await connection('slack', 'eng workspace', { apiBaseUrl: `${fakes.baseUrl}/slack/api`, channel: 'C0ENGINEERING' }, { signingSecret: SLACK_SIGNING_SECRET, botToken: SLACK_BOT_TOKEN });
  discordId = await connection(
    'discord',
    'guild',
    { publicKey: DISCORD_PUBLIC_KEY },
    { webhookUrl: `${fakes.baseUrl}/discord/api/webhooks/${DISCORD_WEBHOOK.id}/${DISCORD_WEBHOOK.token}` },
  );
});

afterAll(async () => {
  // HUB_LOG=<file> keeps the processes' output for a look after a failure.
  if (process.env.HUB_LOG) writeFileSync(process.env.HUB_LOG, `${hub?.process.output()}\n----- gateway\n${gateway?.process.output()}`);
  await amqp?.close().catch(() => undefined);
  await gateway?.stop(5000);
  await hub?.stop(8000);
  await fakes.stop();
  await Promise.allSettled([database?.drop(), vhost?.drop(), identities.stop()]);
});

describe('connections', () => {
  it('answers secret names only, never values; admins only', async () => {
    const got = await api('GET', `/api/v1/integrations/${slackId}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      id: slackId,
      kind: 'slack',
      name: 'eng workspace',
      config: { apiBaseUrl: `${fakes.baseUrl}/slack/api`, channel: 'C0ENGINEERING' },
      secrets: ['botToken', 'signingSecret'],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const list = await api('GET', '/api/v1/integrations?kind=slack');
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([slackId]);
    expect((await api('GET', '/api/v1/integrations', undefined, developer)).status).toBe(403);
    expect((await api('GET', '/api/v1/integrations', undefined, null)).status).toBe(401);
  });

  it('generates a Standard Webhooks secret for a webhook connection, shown once', async () => {
    const created = await api('POST', '/api/v1/integrations', { kind: 'webhook', name: 'generated', config: { url: `${fakes.baseUrl}/hooks/generated` } });
    expect(created.status).toBe(201);
    expect(created.body.generatedSecrets.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body.secrets).toEqual(['signingSecret']);
    const again = await api('GET', `/api/v1/integrations/${created.body.id}`);
    expect(again.body.generatedSecrets).toBeUndefined();
    expect(again.text).not.toContain(created.body.generatedSecrets.signingSecret);
    await api('DELETE', `/api/v1/integrations/${created.body.id}`);
  });

  it('refuses unknown settings and secrets, a missing required secret and bad URLs, naming them', async () => {
    const res = await api('POST', '/api/v1/integrations', { kind: 'github', name: 'x', config: { colour: 'red' }, secrets: { password: 'p' } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['config.colour', 'secrets.password', 'secrets.webhookSecret']);
    const url = await api('POST', '/api/v1/integrations', { kind: 'webhook', name: 'x', config: { url: 'ftp://example.com' } });
    expect(url.body.errors).toEqual([expect.objectContaining({ field: 'config.url' })]);
    expect((await api('POST', '/api/v1/integrations', { kind: 'slack', name: 'x', secrets: { botToken: 42 } })).status).toBe(400);
  });

  it('PATCH merges secrets (empty removes) and keeps them encrypted', async () => {
    const id = await connection('slack', 'patch me', {}, { botToken: 'xoxb-patch-one' });
    const res = await api('PATCH', `/api/v1/integrations/${id}`, { name: 'patched', secrets: { incomingWebhookUrl: `${fakes.baseUrl}/slack/hooks/T1/B1/s3cr3t`, botToken: '' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'patched', secrets: ['incomingWebhookUrl'] });
    expect((await api('PATCH', `/api/v1/integrations/${randomUUID()}`, { name: 'x' })).status).toBe(404);
    await api('DELETE', `/api/v1/integrations/${id}`);
    expect((await api('GET', `/api/v1/integrations/${id}`)).status).toBe(404);
  });
});

describe('GitHub intake', () => {
  it('answers ping without publishing; a signed event is answered within 1 s and published once', async () => {
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const pinged = await hook('github', githubId, ping, githubHeaders(ping, 'ping'));
    expect(pinged.status).toBe(200);
    expect(pinged.body).toEqual({ ok: true });

    // Odd spacing and a \u escape: any re-encoding by the gateway would break the signature.
    const raw = '{ "action":"opened",  "number": 7, "pull_request": {"number": 7, "title": "caf\\u00e9 \\ud83d\\ude00"},\n "repository": {"full_name":"acme/api"}, "sender": {"login":"octocat"} }';
    const delivery = randomUUID();
    const first = await hook('github', githubId, raw, githubHeaders(raw, 'pull_request', delivery));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: true, duplicate: false, eventType: 'integration-hub.github.pull_request' });
    expect(first.ms).toBeLessThan(1000);

    const redelivered = await hook('github', githubId, raw, githubHeaders(raw, 'pull_request', delivery));
    expect(redelivered.body).toEqual({ accepted: true, duplicate: true, eventType: 'integration-hub.github.pull_request' });

    // (An empty list is truthy: wait for one that holds the event.)
    await waitFor(() => wire.some((e) => e.data.deliveryId === delivery), { what: 'the event on the wire' });
    await new Promise((r) => setTimeout(r, 500));
    const published = wire.filter((e) => e.data.deliveryId === delivery);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: 'integration-hub.github.pull_request',
      data: { connectionId: githubId, event: 'pull_request', action: 'opened', repository: 'acme/api', sender: 'octocat', payloadJson: raw },
    });
    expect(wire.some((e) => e.type === 'integration-hub.github.ping')).toBe(false);
  });

  it('401s a tampered body, another secret and a missing signature', async () => {
    const raw = JSON.stringify({ action: 'opened' });
    const headers = githubHeaders(raw, 'issues');
    const tampered = await hook('github', githubId, raw.replace('opened', 'closed'), headers);
    expect(tampered.status).toBe(401);
    expect(tampered.headers['content-type']).toContain('application/problem+json');
    expect(tampered.body.code).toBe('INVALID_SIGNATURE');
    expect((await hook('github', githubId, raw, githubHeaders(raw, 'issues', randomUUID(), 'wrong secret'))).status).toBe(401);
    const { 'x-hub-signature-256': _sig, ...unsigned } = headers;
    expect((await hook('github', githubId, raw, unsigned)).status).toBe(401);
    // A connection of another kind, or none, is not a GitHub endpoint.
    expect((await hook('github', slackId, raw, headers)).status).toBe(404);
    expect((await hook('github', randomUUID(), raw, headers)).status).toBe(404);
  });

  it('has its own body limit (413) and never gives the raw body to the JSON parser', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(70_000) });
    expect((await hook('github', githubId, big, githubHeaders(big, 'push'))).status).toBe(413);
    // Not JSON at all, and another content type: verified, answered, ignored (no 400/415).
    const form = 'payload=%7B%7D';
    const res = await fetch(`${gateway!.httpUrl}/api/v1/webhooks/github/${githubId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...githubHeaders(form, 'push') },
      body: form,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: false, duplicate: false, eventType: null });
  });
});

describe('Slack intake', () => {
  it('answers url_verification with the challenge', async () => {
    const raw = JSON.stringify({ token: 'legacy', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const res = await hook('slack', slackId, raw, slackHeaders(raw));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
  });

  it('accepts an event once per event_id (Slack retries are duplicates) and 401s an old timestamp', async () => {
    const eventId = `Ev${Date.now()}`;
    const raw = JSON.stringify({ type: 'event_callback', team_id: 'T1', event_id: eventId, event: { type: 'app_mention', channel: 'C0ENGINEERING', user: 'U1', text: '<@U0BOT> hi' } });
    expect((await hook('slack', slackId, raw, slackHeaders(raw))).body).toEqual({ accepted: true, duplicate: false, eventType: 'integration-hub.slack.app_mention' });
    const retry = await hook('slack', slackId, raw, { ...slackHeaders(raw), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    expect(retry.body.duplicate).toBe(true);
    await waitFor(() => wire.find((e) => e.data.deliveryId === eventId), { what: 'the Slack event' });
    expect(wire.filter((e) => e.data.deliveryId === eventId)).toMatchObject([{ type: 'integration-hub.slack.app_mention', data: { channel: 'C0ENGINEERING', user: 'U1', teamId: 'T1' } }]);

    const stale = await hook('slack', slackId, raw, slackHeaders(raw, Math.floor(Date.now() / 1000) - 301));
    expect(stale.status).toBe(401);
    expect((await hook('slack', slackId, `${raw} `, slackHeaders(raw))).status).toBe(401);
  });
});

describe('Discord intake', () => {
  it('answers PING with {"type":1} exactly', async () => {
    const raw = JSON.stringify({ id: '1', application_id: '2', type: 1, version: 1 });
    const res = await fetch(`${gateway!.httpUrl}/api/v1/webhooks/discord/${discordId}`, { method: 'POST', headers: { 'content-type': 'application/json', ...discordHeaders(raw) }, body: raw });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.text()).toBe('{"type":1}');
  });

  it('401s a bad signature; a command is deferred, published once per interaction id', async () => {
    const ping = JSON.stringify({ id: '1', type: 1 });
    expect((await hook('discord', discordId, ping, { ...discordHeaders(ping), 'x-signature-ed25519': '00'.repeat(64) })).status).toBe(401);
    expect((await hook('discord', discordId, ping, {})).status).toBe(401);
    const id = String(Date.now());
    const raw = JSON.stringify({ id, type: 2, guild_id: 'G1', channel_id: 'CH1', data: { name: 'deploy' } });
    expect((await hook('discord', discordId, raw, discordHeaders(raw))).body).toEqual({ type: 5 });
    expect((await hook('discord', discordId, raw, discordHeaders(raw))).body).toEqual({ type: 5 });
    await waitFor(() => wire.find((e) => e.data.deliveryId === id), { what: 'the interaction event' });
    expect(wire.filter((e) => e.data.deliveryId === id)).toMatchObject([{ type: 'integration-hub.discord.application_command', data: { name: 'deploy', guildId: 'G1' } }]);
  });
});

describe('rules → deliveries', () => {
  it('a matching event reaches fake Slack (chat.postMessage), Discord and GitHub; the filter decides', async () => {
    const slackRule = await rule('integration-hub.github.issues', { connectionId: slackId, kind: 'message', template: 'Issue #{{payload.issue.number}} {{data.action}}: {{payload.issue.title}}' }, { 'data.action': 'opened' });
    const discordRule = await rule('integration-hub.github.issues', { connectionId: discordId, kind: 'message', template: '{{payload.issue.title}} @everyone' });
    const commentRule = await rule('integration-hub.github.issues', { connectionId: githubId, kind: 'comment', template: 'Thanks @{{data.sender}}!' });
    await githubEvent(githubId, 'issues', { issue: { number: 42, title: 'Crash <on> start' } });
    await githubEvent(githubId, 'issues', { action: 'closed', issue: { number: 42, title: 'closed one' } });

    const [slack] = await settled(slackRule, 1, ['delivered']);
    expect(slack).toMatchObject({ status: 'delivered', attempts: 1, eventType: 'integration-hub.github.issues', lastError: null, deliveredAt: expect.any(String) });
    const posted = fakes.to('/slack/api/chat.postMessage').map((r) => JSON.parse(r.body));
    expect(posted).toEqual([{ channel: 'C0ENGINEERING', text: 'Issue #42 opened: Crash &lt;on&gt; start' }]);

    await settled(discordRule, 2, ['delivered']);
    const discord = fakes.to(`/discord/api/webhooks/${DISCORD_WEBHOOK.id}/${DISCORD_WEBHOOK.token}`);
    expect(discord.map((r) => JSON.parse(r.body))).toEqual(
      expect.arrayContaining([{ content: 'Crash <on> start @everyone', allowed_mentions: { parse: [] } }]),
    );
    expect(discord[0].url).toContain('wait=true');

    await settled(commentRule, 2, ['delivered']);
    const comments = fakes.to('/github/repos/acme/api/issues/42/comments');
    expect(comments).toHaveLength(2);
    expect(JSON.parse(comments[0].body)).toEqual({ body: 'Thanks @octocat!' });
    expect(comments[0].headers).toMatchObject({ authorization: `Bearer ${GITHUB_TOKEN}`, accept: 'application/vnd.github+json' });
  });

  it('signs generic webhooks per Standard Webhooks, webhook-id stable across retries', async () => {
    const id = await connection('webhook', 'receiver', { url: `${fakes.baseUrl}/hooks/standard` }, { signingSecret: WEBHOOK_SIGNING_SECRET });
    const r = await rule('integration-hub.github.release', { connectionId: id, kind: 'webhook' });
    fakes.script('/hooks/standard', [{ status: 503 }]);
    await githubEvent(githubId, 'release');
    const [d] = await settled(r, 1, ['delivered']);
    const received = fakes.to('/hooks/standard');
    expect(received).toHaveLength(2);
    expect(received.map((x) => x.headers['webhook-id'])).toEqual([d.id, d.id]);
    const verified = new Webhook(WEBHOOK_SIGNING_SECRET).verify(received[1].body, received[1].headers) as { type: string; data: { eventId: string } };
    expect(verified).toMatchObject({ type: 'integration-hub.github.release', data: { eventId: d.eventId } });
    expect(() => new Webhook(WEBHOOK_SIGNING_SECRET).verify(received[1].body.replace('release', 'relea5e'), received[1].headers)).toThrow();
  });

  it('is one delivery per event and rule, even when the event is consumed twice', async () => {
    // Same event republished (at-least-once on the wire): the unique (event, rule) holds.
    const id = await connection('webhook', 'dedup', { url: `${fakes.baseUrl}/hooks/dedup` }, {});
    const r = await rule('integration-hub.test.republished', { connectionId: id, kind: 'webhook' });
    const ch = await amqp.createConfirmChannel();
    const event = { specversion: '1.0', id: randomUUID(), source: 'test', type: 'integration-hub.test.republished', time: new Date().toISOString(), datacontenttype: 'application/json', data: {} };
    for (let i = 0; i < 2; i++) ch.publish('aether.events', event.type, Buffer.from(JSON.stringify(event)), { contentType: 'application/cloudevents+json', persistent: true });
    await ch.waitForConfirms();
    await ch.close();
    await settled(r, 1, ['delivered']);
    await new Promise((res) => setTimeout(res, 700));
    expect(await deliveriesOf(r)).toHaveLength(1);
    expect(fakes.to('/hooks/dedup')).toHaveLength(1);
  });
});

describe('delivery that behaves', () => {
  async function webhookRule(path: string): Promise<{ connectionId: string; ruleId: string; type: string }> {
    const name = path.replace(/^\/hooks\//, 'hook_').replace(/\W/g, '_');
    const connectionId = await connection('webhook', name, { url: `${fakes.baseUrl}${path}` }, {});
    const type = `integration-hub.github.${name}`.toLowerCase().replace(/[^a-z0-9_.-]/g, '_');
    const ruleId = await rule(type, { connectionId, kind: 'webhook' });
    return { connectionId, ruleId, type };
  }

  it('500 ×3 then 200 → delivered with 4 attempts, each logged', async () => {
    const { ruleId, type } = await webhookRule('/hooks/flaky');
    fakes.script('/hooks/flaky', [{ status: 500, body: 'boom' }, { status: 502 }, { status: 500 }]);
    await githubEvent(githubId, type.split('.').pop()!);
    const [d] = await settled(ruleId, 1, ['delivered']);
    expect(d.attempts).toBe(4);
    const detail = await api('GET', `/api/v1/integrations/deliveries/${d.id}`);
    expect(detail.body.attemptLog.map((a: { status: number; outcome: string }) => [a.status, a.outcome])).toEqual([
      [500, 'retry'], [502, 'retry'], [500, 'retry'], [200, 'delivered'],
    ]);
    expect(detail.body.attemptLog[0]).toMatchObject({ number: 1, startedAt: expect.any(String), durationMs: expect.any(Number), error: 'HTTP 500: boom' });
  });

  it('429 with Retry-After: 2 → the next attempt at least 2 s later', async () => {
    const { ruleId, type } = await webhookRule('/hooks/limited');
    fakes.script('/hooks/limited', [{ status: 429, headers: { 'retry-after': '2' }, body: 'slow down' }]);
    await githubEvent(githubId, type.split('.').pop()!);
    await settled(ruleId, 1, ['delivered']);
    const [first, second] = fakes.to('/hooks/limited');
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
  });

  it("honours Discord's 429 retry_after and GitHub's rate-limit 403 (x-ratelimit-reset) instead of giving up", async () => {
    const discordPath = `/discord/api/webhooks/${DISCORD_WEBHOOK.id}/${DISCORD_WEBHOOK.token}`;
    const discordRule = await rule('integration-hub.github.discord_limited', { connectionId: discordId, kind: 'message', template: 'limited' });
    fakes.script(discordPath, [
      { status: 429, headers: { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '1.5', 'x-ratelimit-scope': 'user' }, body: { message: 'You are being rate limited.', retry_after: 1.5, global: false } },
    ]);
    const ghRule = await rule('integration-hub.github.gh_limited', { connectionId: githubId, kind: 'comment', issueNumber: 9, template: 'limited' });
    const reset = String(Math.floor(Date.now() / 1000) + 2);
    fakes.script('/github/repos/acme/api/issues/9/comments', [
      { status: 403, headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/rate-limit' } },
    ]);
    const limitedBefore = fakes.to(discordPath).length;
    await githubEvent(githubId, 'discord_limited');
    await githubEvent(githubId, 'gh_limited');
    await settled(discordRule, 1, ['delivered']);
    const [first, second] = fakes.to(discordPath).slice(limitedBefore);
    expect(second.at - first.at).toBeGreaterThanOrEqual(1500);
    const [gh] = await settled(ghRule, 1, ['delivered']);
    expect(gh.attempts).toBe(2);
    const calls = fakes.to('/github/repos/acme/api/issues/9/comments');
    expect(calls[1].at).toBeGreaterThanOrEqual(Number(reset) * 1000 - 1000);
  });

  it('posts through a Slack incoming webhook when the connection has no bot token', async () => {
    const id = await connection('slack', 'incoming', {}, { incomingWebhookUrl: `${fakes.baseUrl}/slack/hooks/T0001/B0001/incomingsecretXYZ` });
    const r = await rule('integration-hub.github.incoming', { connectionId: id, kind: 'message', template: '<https://github.com|{{data.repository}}> by {{data.sender}}' });
    // An event cannot inject Slack markup (a channel-wide mention): inserted values are escaped.
    await githubEvent(githubId, 'incoming', { sender: { login: '<!channel>' } });
    await settled(r, 1, ['delivered']);
    expect(fakes.to('/slack/hooks/T0001/B0001/incomingsecretXYZ').map((x) => JSON.parse(x.body))).toEqual([{ text: '<https://github.com|acme/api> by &lt;!channel&gt;' }]);
  });

  it("Slack's HTTP 200 ok:false is a failure (channel_not_found: final); a 403 is never retried", async () => {
    const bad = await rule('integration-hub.github.slack_fail', { connectionId: slackId, kind: 'message', channel: 'C0NOSUCH' });
    await githubEvent(githubId, 'slack_fail');
    const [d] = await settled(bad, 1, ['dead']);
    expect(d).toMatchObject({ attempts: 1, lastError: 'Slack ok:false: channel_not_found' });

    const { ruleId, type } = await webhookRule('/hooks/forbidden');
    fakes.mode('/hooks/forbidden', { status: 403, body: { message: 'Forbidden' } });
    await githubEvent(githubId, type.split('.').pop()!);
    const [f] = await settled(ruleId, 1, ['dead']);
    expect(f.attempts).toBe(1);
    expect(f.lastError).toContain('HTTP 403');
    await new Promise((r) => setTimeout(r, 800));
    expect(fakes.to('/hooks/forbidden')).toHaveLength(1);
  });

  it('always 500 → dead (DLQ event); replay after the fake recovers → delivered once; bulk replay leaves delivered ones alone', async () => {
    const { connectionId, ruleId, type } = await webhookRule('/hooks/down');
    fakes.mode('/hooks/down', { status: 500, body: 'down' });
    const event = type.split('.').pop()!;
    await githubEvent(githubId, event);
    await githubEvent(githubId, event);
    await githubEvent(githubId, event);
    const dead = await settled(ruleId, 3, ['dead']);
    expect(dead.every((d) => d.attempts === 4 && d.lastError.includes('gave up after 4 attempts'))).toBe(true);
    await waitFor(() => wire.filter((e) => e.type === 'integration-hub.delivery.dead_lettered' && (e.data.delivery as { ruleId: string }).ruleId === ruleId).length === 3, {
      what: 'three dead_lettered events',
    });

    fakes.mode('/hooks/down', undefined);
    const before = fakes.to('/hooks/down').length;
    const one = await api('POST', `/api/v1/integrations/deliveries/${dead[0].id}/replay`);
    expect(one.status).toBe(202);
    await waitFor(async () => (await api('GET', `/api/v1/integrations/deliveries/${dead[0].id}`)).body.status === 'delivered', { what: 'the replayed delivery' });
    expect(fakes.to('/hooks/down').length - before).toBe(1);

    const many = await api('POST', '/api/v1/integrations/deliveries/replay', { connectionId });
    expect(many).toMatchObject({ status: 202, body: { replayed: 2 } });
    await settled(ruleId, 3, ['delivered']);
    await new Promise((r) => setTimeout(r, 500));
    // 1 (single replay) + 2 (bulk): the delivered one was not sent again.
    expect(fakes.to('/hooks/down').length - before).toBe(3);
    expect((await api('POST', '/api/v1/integrations/deliveries/replay', { connectionId })).body).toEqual({ replayed: 0 });
    expect((await api('POST', `/api/v1/integrations/deliveries/${randomUUID()}/replay`)).status).toBe(404);
    expect((await api('GET', `/api/v1/integrations/deliveries?status=dead&ruleId=${ruleId}`)).body.items).toEqual([]);
  });

  it('one endpoint hanging does not slow another connection’s deliveries', async () => {
    const hanging = await webhookRule('/hooks/hang');
    const healthy = await webhookRule('/hooks/healthy');
    fakes.mode('/hooks/hang', { hang: true });
    const started = Date.now();
    for (let i = 0; i < 4; i++) await githubEvent(githubId, hanging.type.split('.').pop()!);
    for (let i = 0; i < 4; i++) await githubEvent(githubId, healthy.type.split('.').pop()!);
    await settled(healthy.ruleId, 4, ['delivered'], 5000);
    // All four healthy deliveries went out while the hanging ones were still waiting (timeout 6 s).
    expect(Date.now() - started).toBeLessThan(5500);
    expect((await deliveriesOf(hanging.ruleId)).every((d) => d.status === 'pending')).toBe(true);
    fakes.mode('/hooks/hang', undefined);
    await settled(hanging.ruleId, 4, ['delivered'], 30_000);
  });

  it('never calls a private or loopback address that OUTBOUND_ALLOWED_HOSTS does not list', async () => {
    const port = new URL(fakes.baseUrl).port;
    const id = await connection('webhook', 'sneaky', { url: `http://127.0.0.2:${port}/hooks/private` }, {});
    const r = await rule('integration-hub.github.sneaky', { connectionId: id, kind: 'webhook' });
    await githubEvent(githubId, 'sneaky');
    const [d] = await settled(r, 1, ['dead']);
    expect(d.attempts).toBe(1);
    expect(d.lastError).toContain('OUTBOUND_ALLOWED_HOSTS');
    expect(fakes.to('/hooks/private')).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('are never in answers, logs or the database in clear', async () => {
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const tables: { tablename: string }[] = (await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows;
      expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['connections', 'deliveries', 'outbox_events']));
      let dump = '';
      for (const { tablename } of tables) dump += JSON.stringify((await db.query(`SELECT * FROM "${tablename}"`)).rows);
      const sealed = (await db.query(`SELECT secrets_box, secrets_key_id FROM connections`)).rows;
      expect(sealed.length).toBeGreaterThan(3);
      expect(sealed.every((r) => r.secrets_key_id === 'k1' && r.secrets_box.length > 40)).toBe(true);
      const logs = hub!.process.output() + gateway!.process.output();
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of SECRETS) {
        expect([secret, dump.includes(secret)]).toEqual([secret, false]);
        expect([secret, logs.includes(secret)]).toEqual([secret, false]);
        expect([secret, answers.some((a) => a.includes(secret))]).toEqual([secret, false]);
      }
    } finally {
      await db.end();
    }
  });
});
