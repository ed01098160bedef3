/**
 * GitHub pull-request reviews end to end, on real PostgreSQL and RabbitMQ: a GitHub-signed
 * `pull_request` webhook into the real gateway and integration-hub (built processes: `bash
 * scripts/build.sh` first) → integration-hub.github.pull_request → code-assistant (in process,
 * production module graph, with its own service token from the real security service) → the
 * real analyzers (analyzer-only: PR_REVIEW_LLM=false) → ONE review on the fake GitHub, which
 * enforces the review API's 422 rules. Then a push after a fix repeats nothing, a redelivered
 * event posts nothing, and a review GitHub refuses (a stale file listing) is retried once with
 * the refused comment in the body.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { Client } from 'pg';
import {
  commentableLines,
  createTempDatabase,
  createTempVhost,
  FAKE_GITHUB_TOKEN,
  FakeGithub,
  githubPatch,
  sendGithubWebhook,
  startApp,
  startTestService,
  uniqueName,
  waitFor,
  type FakeReview,
  type StartedApp,
  type TempResource,
  type TestService,
} from '@aether/testing';
import { codeAssistantService } from '../src/service';

jest.setTimeout(180_000);

const WEBHOOK_SECRET = 'gh-webhook-secret-for-pr-reviews-0123';
const CLIENT_SECRET = 'code-assistant-client-secret-0123456789abcdef';
const ADMIN = { email: 'admin@pr-review.test', password: 'admin password for pr reviews' };
const OWNER = 'acme';
const REPO = 'api';

const gh = new FakeGithub();
const redisPrefix = `${uniqueName('pr_review')}:`;
const resources: TempResource[] = [];
let security: StartedApp | undefined;
let hub: StartedApp | undefined;
let gateway: StartedApp | undefined;
let assistant: TestService | undefined;
let assistantDb: TempResource;
let amqp: ChannelModel;
let channel: Channel;
let adminToken: string;
let connectionId: string;
const events: { type: string; data: Record<string, any>; raw: Buffer }[] = [];

// ---- fixtures: a TypeScript module and its versions ------------------------------------------
const filler = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `export const c${from + i} = ${from + i};`);
const BASE = [
  'export function parse(input: string): number {',
  '  return Number(input);',
  '}',
  ...filler(4, 20),
  // Already in the base branch: not part of the PR's diff, so never commented.
  'export const looseEqual = (x: unknown, y: unknown) => x == y;',
  ...filler(22, 30),
];
const ADDED = [
  'export function evaluate(input: string): unknown {',
  '  return eval(input);',
  '}',
  '',
  'export function same(a: unknown, b: unknown): boolean {',
  '  return a == b;',
  '}',
];
const text = (lines: string[]) => lines.join('\n') + '\n';
const HEAD1 = [...BASE.slice(0, 10), ...ADDED, ...BASE.slice(10)];
const HEAD2 = [
  '// Calculation helpers.',
  ...BASE.slice(0, 10),
  ...ADDED.map((l) => l.replace('a == b', 'a === b')),
  'export function pause(): void {',
  '  debugger;',
  '}',
  ...BASE.slice(10),
];
const LEGACY = 'function run(code) {\n  return eval(code);\n}\nmodule.exports = { run };\n';

const lineOf = (lines: string[], needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(gateway!.httpUrl + path, {
    method,
    headers: { ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const t = await res.text();
  return { status: res.status, body: t ? JSON.parse(t) : undefined };
}

async function webhook(number: number, action: string, delivery = randomUUID()): Promise<string> {
  const sent = await sendGithubWebhook(`${gateway!.httpUrl}/api/v1/webhooks/github/${connectionId}`, WEBHOOK_SECRET, 'pull_request', gh.pullRequestPayload(OWNER, REPO, number, action), delivery);
  expect([sent.status, sent.body]).toEqual([200, expect.any(String)]);
  return delivery;
}

async function deliveryRow(delivery: string): Promise<Record<string, any> | undefined> {
  const c = new Client({ connectionString: assistantDb.url });
  await c.connect();
  try {
    return (await c.query('SELECT status, detail, inline_comments, body_findings, attempts FROM pull_request_reviews WHERE delivery_id = $1', [delivery])).rows[0];
  } finally {
    await c.end();
  }
}

const settled = (delivery: string) =>
  waitFor(async () => {
    const row = await deliveryRow(delivery);
    return row && row.status !== 'pending' ? row : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200, what: `delivery ${delivery} handled by code-assistant` });

/** Every comment of a review sits on a RIGHT-side line of its file's real diff at the reviewed head. */
function expectOnDiffLines(review: FakeReview, patches: Record<string, string>): void {
  for (const c of review.comments) {
    expect(c.side).toBe('RIGHT');
    const hunks = commentableLines(patches[c.path]).RIGHT;
    expect(hunks.some((h) => h.has(c.line))).toBe(true);
  }
}

beforeAll(async () => {
  await gh.start();
  const [securityDb, hubDb, caDb, vhost] = await Promise.all([
    createTempDatabase('pr_sec'),
    createTempDatabase('pr_hub'),
    createTempDatabase('pr_ca'),
    createTempVhost('pr_review'),
  ]);
  assistantDb = caDb;
  resources.push(securityDb, hubDb, caDb, vhost);
  const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  security = await startApp('security', {
    DATABASE_URL: securityDb.url,
    RABBITMQ_URL: vhost.url,
    JWT_PRIVATE_KEY: pem,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SERVICE_CLIENT_SECRETS: `code-assistant=${CLIENT_SECRET}`,
  });
  const jwks = `${security.httpUrl}/.well-known/jwks.json`;
  hub = await startApp('integration-hub', {
    DATABASE_URL: hubDb.url,
    RABBITMQ_URL: vhost.url,
    AUTH_JWKS_URL: jwks,
    INTEGRATION_HUB_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    DELIVERY_WORKER_ENABLED: 'false',
    LOG_LEVEL: 'info',
  });

  // Everything code-assistant publishes, and the webhook events (to redeliver one).
  amqp = await connect(vhost.url);
  channel = await amqp.createChannel();
  await channel.assertExchange('aether.events', 'topic', { durable: true });
  const q = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(q.queue, 'aether.events', 'code-assistant.#');
  await channel.bindQueue(q.queue, 'aether.events', 'integration-hub.github.#');
  await channel.consume(q.queue, (m: ConsumeMessage | null) => {
    if (!m) return;
    const e = JSON.parse(m.content.toString());
    events.push({ type: e.type, data: e.data, raw: m.content });
    channel.ack(m);
  });

  assistant = await startTestService(codeAssistantService, {
    env: {
      DATABASE_URL: caDb.url,
      RABBITMQ_URL: vhost.url,
      AUTH_JWKS_URL: jwks,
      SECURITY_GRPC_URL: security.grpcAddress,
      SERVICE_CLIENT_SECRET: CLIENT_SECRET,
      INTEGRATION_HUB_GRPC_URL: hub.grpcAddress,
      CODE_ASSISTANT_MODEL: '',
      PR_REVIEW_LLM: 'false',
      PR_REVIEW_MAX_COMMENTS: '10',
      GRPC_DEADLINE_MS: '5000',
    },
  });
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: jwks,
    SECURITY_GRPC_URL: security.grpcAddress,
    INTEGRATION_HUB_GRPC_URL: hub.grpcAddress,
    CODE_ASSISTANT_GRPC_URL: `127.0.0.1:${assistant.grpcPort}`,
    GRPC_DEADLINE_MS: '5000',
    RATE_LIMIT_ANON_POINTS: '100000',
    RATE_LIMIT_DEFAULT_POINTS: '100000',
  });
  const login = await api('POST', '/api/v1/auth/login', ADMIN);
  expect(login.status).toBe(200);
  adminToken = login.body.accessToken;
  const created = await api('POST', '/api/v1/integrations', { kind: 'github', name: `${OWNER}/${REPO}`, config: { apiBaseUrl: gh.baseUrl }, secrets: { webhookSecret: WEBHOOK_SECRET, token: FAKE_GITHUB_TOKEN } });
  expect(created.status).toBe(201);
  connectionId = created.body.id;
});

afterAll(async () => {
  // PR_REVIEW_LOG=<file> keeps the processes' output for a look after a failure.
  if (process.env.PR_REVIEW_LOG) writeFileSync(process.env.PR_REVIEW_LOG, `${hub?.process.output()}\n----- gateway\n${gateway?.process.output()}\n----- security\n${security?.process.output()}`);
  await amqp?.close().catch(() => undefined);
  await gateway?.stop(5000);
  await assistant?.close();
  await hub?.stop(5000);
  await security?.stop(5000);
  await gh.stop();
  await Promise.allSettled(resources.map((r) => r.drop()));
});

describe('a pull request reviewed from a signed webhook', () => {
  const number = 1;
  const patch1 = githubPatch(text(BASE), text(HEAD1));
  let head1: string;

  it('posts ONE review: inline comments only on diff lines (RIGHT), a suggestion block, the out-of-diff finding in the body, and an event', async () => {
    head1 = gh.createPullRequest({
      owner: OWNER,
      repo: REPO,
      number,
      title: 'Add evaluate and same',
      files: [
        { path: 'src/calc.ts', before: text(BASE), after: text(HEAD1) },
        // GitHub sends no patch for this one (too large a diff): reviewed whole, reported in the body.
        { path: 'lib/legacy.js', before: 'module.exports = {};\n', after: LEGACY, withoutPatch: true },
        { path: 'src/old.ts', before: 'export const old = 1;\n' },
        { path: 'README.md', before: '# api\n', after: '# api\n\nNow with evaluate().\n' },
      ],
    });
    const sentAt = Date.now();
    const delivery = await webhook(number, 'opened');
    const row = await settled(delivery);
    const webhookToReviewMs = Date.now() - sentAt;
    expect(row).toMatchObject({ status: 'posted' });

    const reviews = gh.reviewsOf(OWNER, REPO, number);
    expect(reviews).toHaveLength(1);
    const [review] = reviews;
    expect(review).toMatchObject({ event: 'COMMENT', commit_id: head1 });
    expectOnDiffLines(review, { 'src/calc.ts': patch1 });
    const at = review.comments.map((c) => [c.path, c.line, /`([^`]+)`/.exec(c.body)?.[1]]);
    expect(at).toEqual(
      expect.arrayContaining([
        ['src/calc.ts', lineOf(HEAD1, 'eval(input)'), 'eslint/no-eval'],
        ['src/calc.ts', lineOf(HEAD1, 'a == b'), 'eslint/eqeqeq'],
      ]),
    );
    // The base's own `x == y` is not part of the diff: no comment, no mention.
    expect(review.comments.some((c) => c.line === lineOf(HEAD1, 'x == y'))).toBe(false);
    expect(review.body).not.toContain(`src/calc.ts:${lineOf(HEAD1, 'x == y')}`);
    // eqeqeq's fix, as a suggestion GitHub can apply.
    const eq = review.comments.find((c) => c.body.includes('eslint/eqeqeq'))!;
    expect(eq.body).toContain('```suggestion\n  return a === b;\n```');
    // Every comment carries its fingerprint, hidden.
    for (const c of review.comments) expect(c.body).toMatch(/<!-- aether-fp:[0-9a-f]{16} -->/);
    // The file without a patch: its finding in the body, not inline.
    expect(review.comments.some((c) => c.path === 'lib/legacy.js')).toBe(false);
    expect(review.body).toContain('#### Findings outside the diff');
    expect(review.body).toMatch(/`lib\/legacy\.js:2` \*\*error\*\* `eslint\/no-eval`/);
    expect(review.body).not.toContain('src/old.ts');

    const posted = await waitFor(() => events.find((e) => e.type === 'code-assistant.pull_request.reviewed' && e.data.deliveryId === delivery), { timeoutMs: 15_000, what: 'the reviewed event' });
    expect(posted.data).toMatchObject({
      connectionId,
      repository: `${OWNER}/${REPO}`,
      number,
      headSha: head1,
      reviewId: String(review.id),
      inlineComments: review.comments.length,
      bodyFindings: expect.any(Number),
    });
    expect(posted.data.errors).toBeGreaterThanOrEqual(2);
    // For the README: what the posted review looks like.
    if (process.env.PR_REVIEW_EXAMPLE) writeFileSync(process.env.PR_REVIEW_EXAMPLE, JSON.stringify({ webhookToReviewMs, reviewMs: posted.data.durationMs, body: review.body, comments: review.comments.map((c) => ({ path: c.path, line: c.line, side: c.side, body: c.body })) }, null, 2));
  });

  it('a push after a fix repeats nothing: only the new finding is posted', async () => {
    const head2 = gh.push(OWNER, REPO, number, [
      { path: 'src/calc.ts', before: text(BASE), after: text(HEAD2) },
      { path: 'lib/legacy.js', before: 'module.exports = {};\n', after: LEGACY, withoutPatch: true },
      { path: 'src/old.ts', before: 'export const old = 1;\n' },
    ]);
    const delivery = await webhook(number, 'synchronize');
    expect(await settled(delivery)).toMatchObject({ status: 'posted', inline_comments: 1, body_findings: 0 });
    const reviews = gh.reviewsOf(OWNER, REPO, number);
    expect(reviews).toHaveLength(2);
    const second = reviews[1];
    expect(second.commit_id).toBe(head2);
    expectOnDiffLines(second, { 'src/calc.ts': githubPatch(text(BASE), text(HEAD2)) });
    expect(second.comments.map((c) => [c.line, /`([^`]+)`/.exec(c.body)?.[1]])).toEqual([[lineOf(HEAD2, 'debugger'), 'eslint/no-debugger']]);
    // eval is still there (moved down a line) and legacy.js unchanged: neither said again.
    expect(second.body).not.toContain('no-eval');
    expect(Number(/(\d+) already reported earlier/.exec(second.body)?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('a push with nothing new posts no review at all', async () => {
    gh.push(OWNER, REPO, number, [
      { path: 'src/calc.ts', before: text(BASE), after: text(['// Calculation helpers (tidied).', ...HEAD2.slice(1)]) },
      { path: 'lib/legacy.js', before: 'module.exports = {};\n', after: LEGACY, withoutPatch: true },
    ]);
    const delivery = await webhook(number, 'synchronize');
    expect(await settled(delivery)).toMatchObject({ status: 'skipped', detail: expect.stringContaining('nothing new') });
    expect(gh.reviewsOf(OWNER, REPO, number)).toHaveLength(2);
  });

  it('the same delivery twice posts once; other actions and drafts post nothing', async () => {
    const opened = events.find((e) => e.type === 'integration-hub.github.pull_request' && e.data.action === 'opened')!;
    expect(opened).toBeDefined();
    // Redeliver the first event exactly as it was (same CloudEvent id, same GitHub delivery).
    channel.publish('aether.events', opened.type, opened.raw, { contentType: 'application/cloudevents+json', persistent: true });
    const labeled = await webhook(number, 'labeled');
    gh.createPullRequest({ owner: OWNER, repo: REPO, number: 3, draft: true, files: [{ path: 'src/draft.ts', after: 'export const x = eval("1");\n' }] });
    const draft = await webhook(3, 'opened');
    expect(await settled(draft)).toMatchObject({ status: 'skipped', detail: 'draft pull request' });
    gh.markReadyForReview(OWNER, REPO, 3);
    const ready = await webhook(3, 'ready_for_review');
    expect(await settled(ready)).toMatchObject({ status: 'posted' });
    expect(gh.reviewsOf(OWNER, REPO, 3)).toHaveLength(1);
    // The redelivered event was handled before (one queue, in order) and posted nothing new.
    expect(gh.reviewsOf(OWNER, REPO, number)).toHaveLength(2);
    expect(await deliveryRow(labeled)).toBeUndefined();
  });
});

describe('a pull request of more files than a page', () => {
  it('follows the pages: a file on the second page is reviewed; docs are not fetched', async () => {
    gh.createPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 4,
      files: [
        ...Array.from({ length: 110 }, (_, i) => ({ path: `docs/page-${String(i).padStart(3, '0')}.md`, after: `# Page ${i}\n` })),
        { path: 'src/zz-late.ts', after: 'export const late = (code: string) => eval(code);\n' },
      ],
    });
    const delivery = await webhook(4, 'opened');
    expect(await settled(delivery)).toMatchObject({ status: 'posted', inline_comments: 1 });
    const listings = gh.requests.filter((r) => r.path === `/repos/${OWNER}/${REPO}/pulls/4/files`).map((r) => new URL(r.url, gh.baseUrl).searchParams.get('page') ?? '1');
    expect(listings).toEqual(['1', '2']);
    const [review] = gh.reviewsOf(OWNER, REPO, 4);
    expect(review.comments.map((c) => [c.path, c.line, c.side])).toEqual([['src/zz-late.ts', 1, 'RIGHT']]);
    expect(gh.requests.some((r) => r.path.includes('/contents/docs/'))).toBe(false);
  });
});

describe('GitHub failing for a moment', () => {
  it('a 502 on the review: the delivery is given back, retried by the broker and posted once', async () => {
    gh.createPullRequest({ owner: OWNER, repo: REPO, number: 5, files: [{ path: 'src/retry.ts', after: 'export const again = (code: string) => eval(code);\n' }] });
    gh.rejectNextReviews({ status: 502, body: { message: 'Server Error' } });
    const delivery = await webhook(5, 'opened');
    expect(await settled(delivery)).toMatchObject({ status: 'posted', attempts: 2 });
    const attempts = gh.requests.filter((r) => r.method === 'POST' && r.path === `/repos/${OWNER}/${REPO}/pulls/5/reviews`);
    expect(attempts.map((a) => a.status)).toEqual([502, 200]);
    expect(gh.reviewsOf(OWNER, REPO, 5)).toHaveLength(1);
  });
});

describe('a review GitHub refuses (422)', () => {
  it('is retried once with the refused comment moved into the body', async () => {
    const base = [...filler(1, 4), 'export const isSame = (a: unknown, b: unknown) => a == b;', ...filler(6, 30)];
    const head = [...base];
    head[24] = 'export const run = (code: string) => eval(code);';
    // The first listing is stale (as GitHub can be right after a push): it shows line 5 as changed,
    // which the real diff does not.
    const staleBase = [...base];
    staleBase[4] = 'export const c5 = 5;';
    gh.createPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 2,
      files: [{ path: 'src/flags.ts', before: text(base), after: text(head), listedPatch: githubPatch(text(staleBase), text(head)) }],
    });
    const delivery = await webhook(2, 'opened');
    expect(await settled(delivery)).toMatchObject({ status: 'posted', inline_comments: 1, body_findings: 1 });
    const attempts = gh.requests.filter((r) => r.method === 'POST' && r.path === `/repos/${OWNER}/${REPO}/pulls/2/reviews`);
    expect(attempts.map((a) => a.status)).toEqual([422, 200]);
    expect(attempts[0].response).toMatchObject({ message: 'Unprocessable Entity', errors: [expect.stringContaining('must be part of the diff')] });
    const [review] = gh.reviewsOf(OWNER, REPO, 2);
    expectOnDiffLines(review, { 'src/flags.ts': githubPatch(text(base), text(head)) });
    expect(review.comments.map((c) => c.line)).toEqual([25]);
    expect(review.body).toContain('#### Findings GitHub did not accept as inline comments');
    expect(review.body).toMatch(/`src\/flags\.ts:5` \*\*warning\*\* `eslint\/eqeqeq`/);
    const posted = await waitFor(() => events.find((e) => e.type === 'code-assistant.pull_request.reviewed' && e.data.deliveryId === delivery), { timeoutMs: 15_000, what: 'the reviewed event' });
    expect(posted.data.movedAfterRejection).toBe(1);
  });
});
