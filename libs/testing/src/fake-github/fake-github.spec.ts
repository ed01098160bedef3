import { createHmac } from 'node:crypto';
import { FAKE_GITHUB_TOKEN, FakeGithub, commentableLines } from './fake-github';
import { githubSignature } from './github-webhook';

const before = Array.from({ length: 20 }, (_, i) => `const v${i + 1} = ${i + 1};`).join('\n') + '\n';
const after = before.replace('const v10 = 10;', 'const v10 = eval("10");');

describe('FakeGithub', () => {
  const gh = new FakeGithub();
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(gh.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${FAKE_GITHUB_TOKEN}`, 'user-agent': 'spec', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let head: string;

  beforeAll(async () => {
    await gh.start();
    head = gh.createPullRequest({
      owner: 'acme',
      repo: 'api',
      number: 7,
      files: [
        { path: 'src/a.ts', before, after },
        ...Array.from({ length: 4 }, (_, i) => ({ path: `src/new${i}.ts`, after: `export const x${i} = ${i};\n` })),
        { path: 'big.min.js', before: 'a\n', after: 'b\n', withoutPatch: true },
      ],
    });
  });
  afterAll(() => gh.stop());

  it('refuses without the token or a user agent, like GitHub', async () => {
    expect((await fetch(`${gh.baseUrl}/repos/acme/api/pulls/7`)).status).toBe(401);
    expect((await call('GET', '/repos/acme/api/pulls/7', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call('GET', '/repos/acme/api/pulls/8')).status).toBe(404);
  });

  it('answers the pull request and pages its files with Link headers; patch left out where marked', async () => {
    const pr = await (await call('GET', '/repos/acme/api/pulls/7')).json();
    expect(pr).toMatchObject({ number: 7, draft: false, head: { sha: head } });
    const first = await call('GET', '/repos/acme/api/pulls/7/files?per_page=4');
    expect(first.headers.get('link')).toMatch(/page=2>; rel="next".*page=2>; rel="last"/);
    const files: any[] = [...((await first.json()) as any[]), ...((await (await call('GET', '/repos/acme/api/pulls/7/files?per_page=4&page=2')).json()) as any[])];
    expect(files.map((f: { filename: string }) => f.filename)).toHaveLength(6);
    expect(files[0]).toMatchObject({ filename: 'src/a.ts', status: 'modified', additions: 1, deletions: 1 });
    expect(files[0].patch).toMatch(/^@@ -7,7 \+7,7 @@/);
    expect(files.find((f: { filename: string }) => f.filename === 'big.min.js').patch).toBeUndefined();
    const raw = await call('GET', `/repos/acme/api/contents/src/a.ts?ref=${head}`, undefined, { accept: 'application/vnd.github.raw' });
    expect(await raw.text()).toBe(after);
  });

  it('refuses a review whose comment is outside the diff (422, GitHub body) and records nothing', async () => {
    const res = await call('POST', '/repos/acme/api/pulls/7/reviews', {
      commit_id: head,
      event: 'COMMENT',
      comments: [
        { path: 'src/a.ts', line: 10, side: 'RIGHT', body: 'ok' },
        { path: 'src/a.ts', line: 2, side: 'RIGHT', body: 'outside' },
      ],
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ message: 'Unprocessable Entity', errors: [expect.stringContaining('line must be part of the diff')] });
    const noPatch = await call('POST', '/repos/acme/api/pulls/7/reviews', { event: 'COMMENT', comments: [{ path: 'big.min.js', line: 1, body: 'x' }] });
    expect(noPatch.status).toBe(422);
    const unknown = await call('POST', '/repos/acme/api/pulls/7/reviews', { event: 'COMMENT', comments: [{ path: 'nope.ts', line: 1, body: 'x' }] });
    expect(((await unknown.json()) as any).errors).toEqual(['Path could not be resolved']);
    expect(gh.reviews).toHaveLength(0);
  });

  it('accepts a valid review and lists its comments', async () => {
    const res = await call('POST', '/repos/acme/api/pulls/7/reviews', {
      commit_id: head,
      event: 'COMMENT',
      body: 'summary',
      comments: [
        { path: 'src/a.ts', line: 10, side: 'RIGHT', body: 'eval' },
        { path: 'src/a.ts', line: 7, side: 'RIGHT', body: 'context line' },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'COMMENTED', commit_id: head });
    expect(gh.reviewsOf('acme', 'api', 7)).toHaveLength(1);
    const comments = (await (await call('GET', '/repos/acme/api/pulls/7/comments')).json()) as any[];
    expect(comments.map((c: { line: number }) => c.line)).toEqual([10, 7]);
  });

  it('computes commentable lines per hunk and side', () => {
    const lines = commentableLines('@@ -1,3 +1,3 @@\n a\n-b\n+B\n c');
    expect([...lines.RIGHT[0]]).toEqual([1, 2, 3]);
    expect([...lines.LEFT[0]]).toEqual([1, 2, 3]);
  });

  it('signs webhooks as GitHub does', () => {
    expect(githubSignature('s', '{}')).toBe(`sha256=${createHmac('sha256', 's').update('{}').digest('hex')}`);
  });
});
