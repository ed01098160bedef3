/**
 * A fake GitHub REST API (the pull-request part) on a local HTTP server, answering as api.github.com
 * does — JSON shapes, `Link` pagination, status codes and error bodies — so real client code runs
 * against it. Point a GitHub connection's `apiBaseUrl` at `baseUrl`.
 *
 *   GET  /repos/{o}/{r}/pulls/{n}                  the pull request (head/base sha, draft, state)
 *   GET  /repos/{o}/{r}/pulls/{n}/files            changed files, `per_page` (≤ 100, default 30) / `page`,
 *                                                  `Link` rel next/last/first/prev; `patch` left out for
 *                                                  files marked `withoutPatch` (GitHub omits large ones)
 *   GET  /repos/{o}/{r}/pulls/{n}/comments         review comments (paginated the same way)
 *   POST /repos/{o}/{r}/pulls/{n}/reviews          creates a review, ENFORCING the 422 rules below
 *   GET  /repos/{o}/{r}/contents/{path}?ref=<sha>  a file at a commit (JSON base64, or raw with
 *                                                  `Accept: application/vnd.github.raw`)
 *
 * Review rules (what api.github.com refuses with 422 `{message: "Unprocessable Entity", errors: [...]}`):
 * `event` one of APPROVE/REQUEST_CHANGES/COMMENT (absent = PENDING); a body for REQUEST_CHANGES
 * and for a COMMENT without inline comments; `commit_id` (when sent) a head the PR has had; each
 * comment's `path` a file of the PR with a patch, its `line` (and `start_line`) inside one hunk of
 * that file's diff at `commit_id` on its `side` (RIGHT: added or context lines; LEFT: removed or
 * context lines). One bad comment fails the whole review, and — as on GitHub — the error does not
 * say which comment it was. Every request needs `Authorization: Bearer|token <token>` (401 "Bad
 * credentials") and a User-Agent (403). Accepted reviews are recorded (`reviews`) and their
 * inline comments become review comments (`GET .../comments`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { parsePatch, structuredPatch } from 'diff';

export const FAKE_GITHUB_TOKEN = 'ghp_fakeGithubToken0123456789abcdef';
const DOCS = 'https://docs.github.com/rest';

/** A file of a pull request at one head, as a test describes it. */
export interface FakePullRequestFileSpec {
  path: string;
  /** Content at the base (absent: the file is added). */
  before?: string;
  /** Content at the head (absent: the file is removed). */
  after?: string;
  /** GitHub leaves `patch` out of large or binary diffs; true mimics that. */
  withoutPatch?: boolean;
  /**
   * Served instead of the computed patch by the FIRST listing of this head only (a stale listing,
   * as GitHub can answer right after a push); later listings and the review checks use the real diff.
   */
  listedPatch?: string;
}

export interface FakePullRequestSpec {
  owner: string;
  repo: string;
  number: number;
  title?: string;
  draft?: boolean;
  /** Head commit sha (default: derived from the files). */
  headSha?: string;
  baseSha?: string;
  files: FakePullRequestFileSpec[];
  user?: string;
}

export interface FakeGithubFile {
  sha: string;
  filename: string;
  status: 'added' | 'removed' | 'modified';
  additions: number;
  deletions: number;
  changes: number;
  patch?: string;
  /** Not on the wire: content at the head. */
  content?: string;
  /** Not on the wire: what the listing serves instead of `patch`. */
  listedPatch?: string;
}

interface Head {
  sha: string;
  files: FakeGithubFile[];
  listings: number;
}

interface FakePull {
  owner: string;
  repo: string;
  number: number;
  title: string;
  draft: boolean;
  state: 'open' | 'closed';
  user: string;
  baseSha: string;
  heads: Head[];
}

export interface FakeReviewComment {
  id: number;
  pull_request_review_id: number;
  path: string;
  line: number;
  start_line: number | null;
  side: 'LEFT' | 'RIGHT';
  body: string;
  commit_id: string;
  user: { login: string; type: string };
  created_at: string;
}

/** A review GitHub accepted, as recorded for assertions. */
export interface FakeReview {
  id: number;
  owner: string;
  repo: string;
  number: number;
  commit_id: string;
  event: string;
  state: string;
  body: string;
  comments: FakeReviewComment[];
}

/** Every request the fake received (also the refused ones). */
export interface FakeGithubRequest {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  response: unknown;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

interface ReviewCommentInput {
  path?: unknown;
  line?: unknown;
  side?: unknown;
  start_line?: unknown;
  start_side?: unknown;
  position?: unknown;
  body?: unknown;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** GitHub's `patch` of a file between two versions: hunks only (no ---/+++ header), 3 lines of context. */
export function githubPatch(before: string, after: string): string {
  return structuredPatch('a', 'b', before, after, '', '', { context: 3 })
    .hunks.map((h) => `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n${h.lines.join('\n')}`)
    .join('\n');
}

/** The lines a review comment may sit on, per side, from a GitHub `patch` (hunks only). */
export function commentableLines(patch: string): { RIGHT: Set<number>[]; LEFT: Set<number>[] } {
  const right: Set<number>[] = [];
  const left: Set<number>[] = [];
  for (const hunk of parsePatch(patch)[0]?.hunks ?? []) {
    const r = new Set<number>();
    const l = new Set<number>();
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    for (const line of hunk.lines) {
      if (line.startsWith('+')) r.add(newLine++);
      else if (line.startsWith('-')) l.add(oldLine++);
      else if (line.startsWith(' ')) {
        r.add(newLine++);
        l.add(oldLine++);
      }
    }
    right.push(r);
    left.push(l);
  }
  return { RIGHT: right, LEFT: left };
}

export class FakeGithub {
  readonly requests: FakeGithubRequest[] = [];
  readonly reviews: FakeReview[] = [];
  baseUrl = '';
  private readonly pulls = new Map<string, FakePull>();
  private readonly comments = new Map<string, FakeReviewComment[]>();
  private readonly rejections: Answer[] = [];
  private server?: Server;
  private nextId = 1000;

  constructor(readonly token: string = FAKE_GITHUB_TOKEN) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Opens a pull request (or replaces one with the same number). Returns its head sha. */
  createPullRequest(spec: FakePullRequestSpec): string {
    const pull: FakePull = {
      owner: spec.owner,
      repo: spec.repo,
      number: spec.number,
      title: spec.title ?? `PR #${spec.number}`,
      draft: spec.draft ?? false,
      state: 'open',
      user: spec.user ?? 'octocat',
      baseSha: spec.baseSha ?? sha1(`base:${spec.owner}/${spec.repo}#${spec.number}`),
      heads: [],
    };
    this.pulls.set(this.key(spec.owner, spec.repo, spec.number), pull);
    return this.push(spec.owner, spec.repo, spec.number, spec.files, spec.headSha);
  }

  /** A new head for the pull request (a push: `synchronize`). The files are the whole PR diff at that head. */
  push(owner: string, repo: string, number: number, files: FakePullRequestFileSpec[], headSha?: string): string {
    const pull = this.pull(owner, repo, number);
    if (!pull) throw new Error(`no pull request ${owner}/${repo}#${number}`);
    const sha = headSha ?? sha1(`head:${owner}/${repo}#${number}:${JSON.stringify(files)}`);
    pull.heads.push({ sha, files: files.map((f) => this.file(f)), listings: 0 });
    return sha;
  }

  markReadyForReview(owner: string, repo: string, number: number): void {
    this.pull(owner, repo, number)!.draft = false;
  }

  headSha(owner: string, repo: string, number: number): string {
    const heads = this.pull(owner, repo, number)!.heads;
    return heads[heads.length - 1].sha;
  }

  /** The next review creations answer these instead (then the normal behaviour). */
  rejectNextReviews(...answers: Answer[]): void {
    this.rejections.push(...answers);
  }

  reviewsOf(owner: string, repo: string, number: number): FakeReview[] {
    return this.reviews.filter((r) => r.owner === owner && r.repo === repo && r.number === number);
  }

  reviewCommentsOf(owner: string, repo: string, number: number): FakeReviewComment[] {
    return this.comments.get(this.key(owner, repo, number)) ?? [];
  }

  /** A review comment made by someone else (or by an earlier run), as if posted on GitHub. */
  addReviewComment(owner: string, repo: string, number: number, comment: { path: string; line: number; body: string; side?: 'LEFT' | 'RIGHT' }): FakeReviewComment {
    const c: FakeReviewComment = {
      id: this.nextId++,
      pull_request_review_id: this.nextId++,
      path: comment.path,
      line: comment.line,
      start_line: null,
      side: comment.side ?? 'RIGHT',
      body: comment.body,
      commit_id: this.headSha(owner, repo, number),
      user: { login: 'someone', type: 'User' },
      created_at: new Date().toISOString(),
    };
    const key = this.key(owner, repo, number);
    this.comments.set(key, [...(this.comments.get(key) ?? []), c]);
    return c;
  }

  /** The `pull_request` webhook payload GitHub sends for this PR (enough of it for consumers). */
  pullRequestPayload(owner: string, repo: string, number: number, action: string): Record<string, unknown> {
    const pull = this.pull(owner, repo, number)!;
    return {
      action,
      number,
      pull_request: this.pullJson(pull),
      repository: this.repoJson(owner, repo),
      sender: { login: pull.user, type: 'User' },
    };
  }

  private key(owner: string, repo: string, number: number): string {
    return `${owner.toLowerCase()}/${repo.toLowerCase()}#${number}`;
  }

  private pull(owner: string, repo: string, number: number): FakePull | undefined {
    return this.pulls.get(this.key(owner, repo, number));
  }

  private file(spec: FakePullRequestFileSpec): FakeGithubFile {
    const status = spec.before === undefined ? 'added' : spec.after === undefined ? 'removed' : 'modified';
    const patch = githubPatch(spec.before ?? '', spec.after ?? '');
    const lines = patch.split('\n').filter((l) => !l.startsWith('@@'));
    const additions = lines.filter((l) => l.startsWith('+')).length;
    const deletions = lines.filter((l) => l.startsWith('-')).length;
    return {
      sha: sha1(`blob ${spec.after ?? ''}`),
      filename: spec.path,
      status,
      additions,
      deletions,
      changes: additions + deletions,
      patch: spec.withoutPatch || !patch ? undefined : patch,
      content: spec.after,
      listedPatch: spec.listedPatch,
    };
  }

  private repoJson(owner: string, repo: string) {
    return { name: repo, full_name: `${owner}/${repo}`, owner: { login: owner, type: 'Organization' }, private: true, html_url: `https://github.com/${owner}/${repo}` };
  }

  private pullJson(pull: FakePull) {
    const head = pull.heads[pull.heads.length - 1];
    return {
      url: `${this.baseUrl}/repos/${pull.owner}/${pull.repo}/pulls/${pull.number}`,
      html_url: `https://github.com/${pull.owner}/${pull.repo}/pull/${pull.number}`,
      number: pull.number,
      state: pull.state,
      draft: pull.draft,
      title: pull.title,
      user: { login: pull.user, type: 'User' },
      head: { sha: head.sha, ref: `feature-${pull.number}`, repo: this.repoJson(pull.owner, pull.repo) },
      base: { sha: pull.baseSha, ref: 'main', repo: this.repoJson(pull.owner, pull.repo) },
      changed_files: head.files.length,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const body = Buffer.concat(chunks).toString('utf8');
    let answer: Answer;
    try {
      answer = this.answer(req.method ?? 'GET', url, headers, body);
    } catch (err) {
      answer = { status: 500, body: { message: `fake GitHub bug: ${(err as Error).message}` } };
    }
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, url: req.url ?? '', headers, body, status: answer.status, response: answer.body ?? answer.raw });
    const rate = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600), 'x-github-request-id': `FAKE:${this.nextId++}` };
    if (answer.raw !== undefined) {
      res.writeHead(answer.status, { 'content-type': 'application/vnd.github.raw; charset=utf-8', ...rate, ...answer.headers });
      res.end(answer.raw);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...rate, ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  private answer(method: string, url: URL, headers: Record<string, string>, body: string): Answer {
    const auth = headers.authorization ?? '';
    if (auth !== `Bearer ${this.token}` && auth !== `token ${this.token}`) {
      return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
    }
    if (!headers['user-agent']) {
      return { status: 403, body: { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.' } };
    }
    const notFound: Answer = { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
    const contents = /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(url.pathname);
    if (contents && method === 'GET') return this.contents(contents[1], contents[2], decodeURIComponent(contents[3]), url.searchParams.get('ref'), headers.accept ?? '') ?? notFound;
    const m = /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)(\/files|\/comments|\/reviews)?$/.exec(url.pathname);
    const pull = m ? this.pull(m[1], m[2], Number(m[3])) : undefined;
    if (!m || !pull) return notFound;
    const head = pull.heads[pull.heads.length - 1];
    switch (`${method} ${m[4] ?? ''}`) {
      case 'GET ':
        return { status: 200, body: this.pullJson(pull) };
      case 'GET /files': {
        const stale = head.listings++ === 0;
        return this.page(url, head.files.map(({ content: _c, listedPatch, ...wire }) => ({
          ...wire,
          ...(listedPatch !== undefined && stale ? { patch: listedPatch } : {}),
          blob_url: `https://github.com/${pull.owner}/${pull.repo}/blob/${head.sha}/${wire.filename}`,
          raw_url: `https://github.com/${pull.owner}/${pull.repo}/raw/${head.sha}/${wire.filename}`,
          contents_url: `${this.baseUrl}/repos/${pull.owner}/${pull.repo}/contents/${wire.filename}?ref=${head.sha}`,
        })));
      }
      case 'GET /comments':
        return this.page(url, this.reviewCommentsOf(pull.owner, pull.repo, pull.number));
      case 'POST /reviews':
        return this.createReview(pull, body);
      default:
        return notFound;
    }
  }

  private contents(owner: string, repo: string, path: string, ref: string | null, accept: string): Answer | undefined {
    for (const pull of this.pulls.values()) {
      if (pull.owner.toLowerCase() !== owner.toLowerCase() || pull.repo.toLowerCase() !== repo.toLowerCase()) continue;
      const head = ref ? pull.heads.find((h) => h.sha === ref) : pull.heads[pull.heads.length - 1];
      const file = head?.files.find((f) => f.filename === path && f.content !== undefined);
      if (!file) continue;
      if (accept.includes('application/vnd.github.raw')) return { status: 200, raw: file.content };
      const b64 = Buffer.from(file.content!, 'utf8').toString('base64').replace(/.{60}/g, '$&\n');
      return {
        status: 200,
        body: { type: 'file', encoding: 'base64', size: Buffer.byteLength(file.content!), name: path.split('/').pop(), path, sha: file.sha, content: b64 },
      };
    }
    return undefined;
  }

  /** GitHub's offset pagination: `per_page` (1..100, default 30), `page` (from 1), `Link` header. */
  private page(url: URL, items: unknown[]): Answer {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page')) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(url.pathname + url.search, this.baseUrl);
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return `<${u.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(', ') } : {} };
  }

  private createReview(pull: FakePull, raw: string): Answer {
    const unprocessable = (...errors: string[]): Answer => ({
      status: 422,
      body: { message: 'Unprocessable Entity', errors, documentation_url: `${DOCS}/pulls/reviews#create-a-review-for-a-pull-request`, status: '422' },
    });
    let input: { commit_id?: unknown; body?: unknown; event?: unknown; comments?: unknown };
    try {
      input = JSON.parse(raw);
    } catch {
      return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' } };
    }
    if (typeof input !== 'object' || input === null) return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' } };
    const rejection = this.rejections.shift();
    if (rejection) return rejection;
    const event = input.event === undefined ? 'PENDING' : input.event;
    if (!['APPROVE', 'REQUEST_CHANGES', 'COMMENT', 'PENDING'].includes(event as string)) {
      return unprocessable(`Invalid value for "event": ${JSON.stringify(input.event)}`);
    }
    const reviewBody = typeof input.body === 'string' ? input.body : '';
    const comments = (Array.isArray(input.comments) ? input.comments : []) as ReviewCommentInput[];
    if ((event === 'REQUEST_CHANGES' || (event === 'COMMENT' && comments.length === 0)) && !reviewBody.trim()) {
      return unprocessable(`Review Body is required when using ${event} events`);
    }
    const commitId = typeof input.commit_id === 'string' ? input.commit_id : pull.heads[pull.heads.length - 1].sha;
    const head = pull.heads.find((h) => h.sha === commitId);
    if (!head) return unprocessable('Pull request review commit_id is not part of the pull request');
    const errors: string[] = [];
    const accepted: FakeReviewComment[] = [];
    const reviewId = this.nextId++;
    for (const c of comments) {
      const file = head.files.find((f) => f.filename === c.path);
      if (typeof c.body !== 'string' || !c.body) {
        errors.push('Pull request review thread body is missing');
        continue;
      }
      if (c.position !== undefined) {
        errors.push('Pull request review thread position is not supported by this fake (send line and side)');
        continue;
      }
      if (!file) {
        errors.push('Path could not be resolved');
        continue;
      }
      const side = c.side ?? 'RIGHT';
      const startSide = c.start_side ?? side;
      if ((side !== 'RIGHT' && side !== 'LEFT') || (startSide !== 'RIGHT' && startSide !== 'LEFT')) {
        errors.push('Pull request review thread side is invalid');
        continue;
      }
      if (!Number.isInteger(c.line) || (c.start_line !== undefined && !Number.isInteger(c.start_line))) {
        errors.push('Pull request review thread line must be part of the diff and Pull request review thread diff hunk can\'t be blank');
        continue;
      }
      const hunks = file.patch ? commentableLines(file.patch) : { RIGHT: [], LEFT: [] };
      const hunk = hunks[side].findIndex((lines) => lines.has(c.line as number));
      const startOk =
        c.start_line === undefined || (hunk >= 0 && hunks[startSide][hunk]?.has(c.start_line as number) && (c.start_line as number) < (c.line as number));
      if (hunk < 0 || !startOk) {
        errors.push(
          hunk < 0
            ? 'Pull request review thread line must be part of the diff and Pull request review thread diff hunk can\'t be blank'
            : 'Pull request review thread start line must be part of the same hunk as the line.',
        );
        continue;
      }
      accepted.push({
        id: this.nextId++,
        pull_request_review_id: reviewId,
        path: c.path as string,
        line: c.line as number,
        start_line: (c.start_line as number | undefined) ?? null,
        side,
        body: c.body,
        commit_id: commitId,
        user: { login: 'aether-bot[bot]', type: 'Bot' },
        created_at: new Date().toISOString(),
      });
    }
    // One bad comment fails the review; GitHub's errors do not name the comment.
    if (errors.length) return unprocessable(...[...new Set(errors)]);
    const state = event === 'COMMENT' ? 'COMMENTED' : event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : 'PENDING';
    const review: FakeReview = { id: reviewId, owner: pull.owner, repo: pull.repo, number: pull.number, commit_id: commitId, event: event as string, state, body: reviewBody, comments: accepted };
    this.reviews.push(review);
    const key = this.key(pull.owner, pull.repo, pull.number);
    this.comments.set(key, [...(this.comments.get(key) ?? []), ...accepted]);
    return {
      status: 200,
      body: {
        id: reviewId,
        node_id: `PRR_${reviewId}`,
        user: { login: 'aether-bot[bot]', type: 'Bot' },
        body: reviewBody,
        state,
        commit_id: commitId,
        html_url: `https://github.com/${pull.owner}/${pull.repo}/pull/${pull.number}#pullrequestreview-${reviewId}`,
        submitted_at: new Date().toISOString(),
      },
    };
  }
}
