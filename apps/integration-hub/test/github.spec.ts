/**
 * The GitHub RPCs on behalf of a connection: integration-hub in-process with its gRPC server on
 * real PostgreSQL and RabbitMQ, the shared fake GitHub (libs/testing, the real wire protocol and
 * the review API's 422 rules) as the API. The connection's token goes to GitHub and nowhere else.
 */
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { readGrpcError } from '@aether/service-kit';
import {
  createTempDatabase, createTempVhost, FAKE_GITHUB_TOKEN, FakeGithub, startTestService, TestIdentities, type TempResource, type TestService, type TestUser,
} from '@aether/testing';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ConnectionsService } from '../src/connections/connections.service';
import { integrationHubService } from '../src/service';

jest.setTimeout(60_000);

const before = Array.from({ length: 30 }, (_, i) => `const v${i + 1} = ${i + 1};`).join('\n') + '\n';
const after = before.replace('const v10 = 10;', 'const v10 = eval("10");');
const WRONG_TOKEN = 'ghp_wrongWRONGwrong000000000000000';

describe('integration-hub GitHub RPCs', () => {
  const gh = new FakeGithub();
  const identities = new TestIdentities();
  const logs: string[] = [];
  const answers: string[] = [];
  let store: TempResource;
  let vhost: TempResource;
  let service: TestService;
  let client: grpc.Client & Record<string, Function>;
  let reviewer: TestUser;
  let connectionId: string;
  let badTokenConnectionId: string;
  let head: string;

  beforeAll(async () => {
    await Promise.all([gh.start(), identities.start()]);
    [store, vhost] = await Promise.all([createTempDatabase('hub_github'), createTempVhost('hub_github')]);
    const write = process.stdout.write.bind(process.stdout);
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any, ...rest: any[]) => {
      logs.push(String(chunk));
      return write(chunk, ...rest);
    });
    service = await startTestService(integrationHubService, {
      env: {
        AUTH_JWKS_URL: identities.jwksUrl,
        DATABASE_URL: store.url,
        RABBITMQ_URL: vhost.url,
        INTEGRATION_HUB_SECRET_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`,
        DELIVERY_WORKER_ENABLED: 'false',
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        LOG_LEVEL: 'debug',
      },
    });
    const def = protoLoader.loadSync(protoFile('integration-hub'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = grpc.loadPackageDefinition(def) as any;
    client = new pkg.aether.integration_hub.v1.IntegrationHubService(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
    reviewer = await identities.service('code-assistant', ['ai:use', 'integrations:github']);

    const connections = service.get(ConnectionsService);
    const config = JSON.stringify({ apiBaseUrl: gh.baseUrl });
    connectionId = (await connections.create({ kind: 'github', name: 'acme', configJson: config, secrets: { webhookSecret: 'whs-0123456789', token: FAKE_GITHUB_TOKEN } })).connection.id;
    badTokenConnectionId = (await connections.create({ kind: 'github', name: 'stale', configJson: config, secrets: { webhookSecret: 'whs-0123456789', token: WRONG_TOKEN } })).connection.id;
    head = gh.createPullRequest({
      owner: 'acme',
      repo: 'api',
      number: 7,
      files: [
        { path: 'src/a.ts', before, after },
        ...Array.from({ length: 5 }, (_, i) => ({ path: `src/new${i}.ts`, after: `export const x${i} = ${i};\n` })),
        { path: 'dist/big.min.js', before: 'a\n', after: 'b\n', withoutPatch: true },
      ],
    });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    client?.close();
    await service?.close();
    await Promise.allSettled([store?.drop(), vhost?.drop(), gh.stop(), identities.stop()]);
  });

  function call<T = any>(method: string, req: object, caller: TestUser | null = reviewer): Promise<T> {
    const md = caller ? caller.metadata() : new grpc.Metadata();
    return new Promise((resolve, reject) =>
      client[method](req, md, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: T) => {
        answers.push(err ? `${err.details} ${JSON.stringify(readGrpcError(err))}` : JSON.stringify(res));
        return err ? reject(err) : resolve(res);
      }),
    );
  }
  async function failure(p: Promise<unknown>) {
    const err = (await p.then(() => undefined, (e) => e)) as grpc.ServiceError;
    if (!err) throw new Error('expected the call to fail');
    const d = readGrpcError(err);
    return { status: err.code, code: d.code, message: err.details, violations: d.violations };
  }
  const pr = { connectionId: '', repository: 'acme/api', number: 7 };

  it('serves service principals granted integrations:github and admins; nobody else', async () => {
    const req = { ...pr, connectionId };
    expect((await call('GetPullRequest', req)).headSha).toBe(head);
    expect((await call('GetPullRequest', req, await identities.user('admin'))).headSha).toBe(head);
    expect(await failure(call('GetPullRequest', req, await identities.user('developer')))).toMatchObject({ status: grpc.status.PERMISSION_DENIED });
    expect(await failure(call('GetPullRequest', req, await identities.service('code-assistant', ['ai:use'])))).toMatchObject({ status: grpc.status.PERMISSION_DENIED });
    expect(await failure(call('GetPullRequest', req, null))).toMatchObject({ status: grpc.status.UNAUTHENTICATED });
  });

  it('answers the pull request as GitHub describes it', async () => {
    const res = await call('GetPullRequest', { ...pr, connectionId });
    expect(res).toMatchObject({ number: 7, state: 'open', draft: false, headSha: head, userLogin: 'octocat' });
    expect(res.baseSha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("pages the files with GitHub's Link header (3 pages), sending the token and GitHub's headers; an absent patch stays absent", async () => {
    const seen = gh.requests.length;
    const pages: any[] = [];
    let cursor = '';
    do {
      const res = await call('ListPullRequestFiles', { ...pr, connectionId, page: { limit: 3, cursor } });
      pages.push(res);
      cursor = res.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
    expect(pages[2].nextCursor).toBe('');
    const files = pages.flatMap((p) => p.items);
    expect(files.map((f: any) => f.path)).toEqual(['src/a.ts', 'src/new0.ts', 'src/new1.ts', 'src/new2.ts', 'src/new3.ts', 'src/new4.ts', 'dist/big.min.js']);
    expect(files[0]).toMatchObject({ status: 'modified', additions: 1, deletions: 1 });
    expect(files[0].patch).toMatch(/^@@ -7,7 \+7,7 @@/);
    const big = files.find((f: any) => f.path === 'dist/big.min.js');
    expect(big.patch).toBeUndefined();
    expect(big.status).toBe('modified');

    const sent = gh.requests.slice(seen);
    expect(sent.map((r) => r.url)).toEqual([1, 2, 3].map((p) => `/repos/acme/api/pulls/7/files?per_page=3&page=${p}`));
    for (const r of sent) {
      expect(r.headers).toMatchObject({
        authorization: `Bearer ${FAKE_GITHUB_TOKEN}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': expect.stringMatching(/^aether-integration-hub\//),
      });
    }
    // Default page size: GitHub's largest.
    const all = await call('ListPullRequestFiles', { ...pr, connectionId });
    expect(all.items).toHaveLength(7);
    expect(gh.requests[gh.requests.length - 1].url).toBe('/repos/acme/api/pulls/7/files?per_page=100&page=1');
  });

  it('reads a file at a commit, bounded by maxBytes', async () => {
    const file = await call('GetRepositoryFile', { connectionId, repository: 'acme/api', path: 'src/a.ts', ref: head });
    expect(Buffer.from(file.content).toString('utf8')).toBe(after);
    expect(gh.requests[gh.requests.length - 1].url).toBe(`/repos/acme/api/contents/src/a.ts?ref=${head}`);
    expect(await failure(call('GetRepositoryFile', { connectionId, repository: 'acme/api', path: 'src/a.ts', ref: head, maxBytes: 100 }))).toMatchObject({
      status: grpc.status.INVALID_ARGUMENT,
      code: 'FILE_TOO_LARGE',
    });
    expect(await failure(call('GetRepositoryFile', { connectionId, repository: 'acme/api', path: 'src/missing.ts', ref: head }))).toMatchObject({
      status: grpc.status.NOT_FOUND,
      code: 'GITHUB_NOT_FOUND',
    });
  });

  it('posts one COMMENT review with its inline comments, exactly as asked, and lists the comments back', async () => {
    const res = await call('CreatePullRequestReview', {
      ...pr,
      connectionId,
      commitId: head,
      body: 'Aether review: 1 finding',
      comments: [{ path: 'src/a.ts', line: 10, body: '`eval` runs arbitrary code\n```suggestion\nconst v10 = 10;\n```\n<!-- aether:fp:abc -->' }],
    });
    expect(res).toMatchObject({ state: 'COMMENTED', commitId: head, body: 'Aether review: 1 finding' });
    expect(Number(res.id)).toBeGreaterThan(0);
    const posted = gh.requests[gh.requests.length - 1];
    expect(posted).toMatchObject({ method: 'POST', path: '/repos/acme/api/pulls/7/reviews', status: 200 });
    expect(posted.headers).toMatchObject({ authorization: `Bearer ${FAKE_GITHUB_TOKEN}`, 'x-github-api-version': '2022-11-28', 'content-type': 'application/json' });
    expect(JSON.parse(posted.body)).toEqual({
      commit_id: head,
      body: 'Aether review: 1 finding',
      event: 'COMMENT',
      comments: [{ path: 'src/a.ts', line: 10, side: 'RIGHT', body: expect.stringContaining('aether:fp:abc') }],
    });
    expect(gh.reviewsOf('acme', 'api', 7)).toHaveLength(1);

    const comments = await call('ListPullRequestReviewComments', { ...pr, connectionId });
    expect(comments.items).toEqual([
      expect.objectContaining({ path: 'src/a.ts', line: 10, side: 'RIGHT', commitId: head, body: expect.stringContaining('aether:fp:abc'), reviewId: res.id }),
    ]);
    expect(comments.nextCursor).toBe('');
  });

  it("surfaces GitHub's 422 distinguishably, with GitHub's error list, and posts nothing", async () => {
    const reviews = gh.reviews.length;
    const f = await failure(call('CreatePullRequestReview', {
      ...pr,
      connectionId,
      commitId: head,
      body: 'summary',
      comments: [{ path: 'src/a.ts', line: 2, body: 'not in the diff' }],
    }));
    expect(f).toMatchObject({ status: grpc.status.INVALID_ARGUMENT, code: 'GITHUB_UNPROCESSABLE' });
    expect(f.violations).toEqual([{ field: 'github', message: expect.stringContaining('line must be part of the diff') }]);
    expect(gh.reviews.length).toBe(reviews);
  });

  it("maps GitHub's other refusals: a rejected token, an unavailable GitHub (fast), and validates input before calling", async () => {
    const rejected = await failure(call('GetPullRequest', { ...pr, connectionId: badTokenConnectionId }));
    expect(rejected).toMatchObject({ status: grpc.status.FAILED_PRECONDITION, code: 'GITHUB_TOKEN_REJECTED' });
    expect(rejected.message).toContain('Bad credentials');

    gh.rejectNextReviews({ status: 502, body: { message: 'Server Error' } });
    const started = Date.now();
    expect(await failure(call('CreatePullRequestReview', { ...pr, connectionId, commitId: head, body: 'x' }))).toMatchObject({
      status: grpc.status.UNAVAILABLE,
      code: 'GITHUB_UNAVAILABLE',
    });
    expect(Date.now() - started).toBeLessThan(2000);

    const seen = gh.requests.length;
    const bad = await failure(call('CreatePullRequestReview', {
      connectionId: 'nope', repository: 'acme/../etc', number: 0, commitId: 'HEAD', event: 'APPROVE', comments: [{ path: '', line: 0, side: 'UP', body: '' }],
    }));
    expect(bad.status).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.violations.map((v: { field: string }) => v.field).sort()).toEqual(
      ['comments[0].body', 'comments[0].line', 'comments[0].path', 'comments[0].side', 'commitId', 'connectionId', 'event', 'number', 'repository'].sort(),
    );
    expect(await failure(call('ListPullRequestFiles', { ...pr, connectionId, page: { cursor: 'abc' } }))).toMatchObject({ status: grpc.status.INVALID_ARGUMENT });
    expect(gh.requests.length).toBe(seen);
    const slack = (await service.get(ConnectionsService).create({ kind: 'slack', name: 's', configJson: '{}', secrets: {} })).connection.id;
    expect(await failure(call('GetPullRequest', { ...pr, connectionId: slack }))).toMatchObject({ status: grpc.status.FAILED_PRECONDITION, code: 'NOT_A_GITHUB_CONNECTION' });
  });

  it('never lets a token out: not in any answer or log line', () => {
    expect(answers.length).toBeGreaterThan(10);
    expect(logs.length).toBeGreaterThan(0);
    for (const token of [FAKE_GITHUB_TOKEN, WRONG_TOKEN]) {
      expect(answers.join('\n')).not.toContain(token);
      expect(logs.join('')).not.toContain(token);
    }
  });
});
