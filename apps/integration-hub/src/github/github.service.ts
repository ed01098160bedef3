import type { integrationHubV1 } from '@aether/contracts';
import { PreconditionFailedError, ValidationError, Violations } from '@aether/service-kit';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { IntegrationHubEnv } from '../config/integration-hub.env';
import { DEFAULT_API_BASE_URLS } from '../connections/connection-kinds';
import { ConnectionsService } from '../connections/connections.service';
import { OutboundAllowList } from '../outbound/address-policy';
import { OutboundHttp } from '../outbound/outbound-http';
import { GithubClient, nextPageOf, type GithubTarget } from './github-client';
import { checkConnectionId, checkNumber, checkRepository, encodeRepositoryPath, githubPage } from './github-input';

const DEFAULT_FILE_BYTES = 1024 * 1024;
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_COMMENTS = 100;
const MAX_BODY_CHARS = 65_536; // GitHub's limit for a review or comment body

type Json = Record<string, any>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * GitHub API calls on behalf of a github connection: the hub looks the connection up, opens its
 * token and sends; callers never see the token. Validation first (INVALID_ARGUMENT naming the
 * fields), then the connection (NOT_FOUND; not github or no token: FAILED_PRECONDITION).
 */
@Injectable()
export class GithubService implements OnApplicationShutdown {
  private readonly http: OutboundHttp;
  private readonly client: GithubClient;

  constructor(
    private readonly connections: ConnectionsService,
    env: IntegrationHubEnv,
  ) {
    this.http = new OutboundHttp({
      allowList: new OutboundAllowList(env.OUTBOUND_ALLOWED_HOSTS),
      timeoutMs: env.GITHUB_TIMEOUT_MS,
      maxResponseBytes: env.GITHUB_MAX_RESPONSE_BYTES,
    });
    this.client = new GithubClient(this.http, {
      getRetries: 2,
      retryDelayMs: 200,
      breakerThreshold: env.DELIVERY_BREAKER_THRESHOLD,
      breakerCooldownMs: env.DELIVERY_BREAKER_COOLDOWN_MS,
    });
  }

  onApplicationShutdown(): void {
    this.http.close();
  }

  async getPullRequest(req: integrationHubV1.GetPullRequestRequest): Promise<integrationHubV1.PullRequest> {
    const v = new Violations();
    checkConnectionId(v, req.connectionId);
    checkRepository(v, req.repository);
    checkNumber(v, req.number);
    v.throwIfAny();
    const target = await this.target(req.connectionId);
    const res = await this.client.call(target, { method: 'GET', path: `/repos/${req.repository}/pulls/${req.number}` });
    const pr = parse(res.body) as Json;
    return {
      number: int(pr.number),
      title: str(pr.title),
      state: str(pr.state),
      draft: pr.draft === true,
      headSha: str(pr.head?.sha),
      headRef: str(pr.head?.ref),
      baseSha: str(pr.base?.sha),
      baseRef: str(pr.base?.ref),
      htmlUrl: str(pr.html_url),
      userLogin: str(pr.user?.login),
    };
  }

  async listPullRequestFiles(req: integrationHubV1.ListPullRequestFilesRequest): Promise<integrationHubV1.ListPullRequestFilesResponse> {
    const { target, path } = await this.listing(req, 'files');
    const res = await this.client.call(target, { method: 'GET', path });
    const items = (parseArray(res.body) as Json[]).map((f): integrationHubV1.PullRequestFile => ({
      path: str(f.filename),
      status: str(f.status),
      additions: int(f.additions),
      deletions: int(f.deletions),
      changes: int(f.changes),
      // GitHub leaves `patch` out for binary files and very large diffs: absent stays absent.
      ...(typeof f.patch === 'string' ? { patch: f.patch } : {}),
      previousPath: str(f.previous_filename),
      sha: str(f.sha),
    }));
    return { items, nextCursor: String(nextPageOf(res.headers.link) ?? '') };
  }

  async listPullRequestReviewComments(
    req: integrationHubV1.ListPullRequestReviewCommentsRequest,
  ): Promise<integrationHubV1.ListPullRequestReviewCommentsResponse> {
    const { target, path } = await this.listing(req, 'comments');
    const res = await this.client.call(target, { method: 'GET', path });
    const items = (parseArray(res.body) as Json[]).map((c): integrationHubV1.PullRequestReviewComment => ({
      id: String(int(c.id)),
      reviewId: String(int(c.pull_request_review_id)),
      path: str(c.path),
      line: int(c.line),
      side: str(c.side),
      body: str(c.body),
      commitId: str(c.commit_id),
      userLogin: str(c.user?.login),
      createdAt: str(c.created_at),
    }));
    return { items, nextCursor: String(nextPageOf(res.headers.link) ?? '') };
  }

  async getRepositoryFile(req: integrationHubV1.GetRepositoryFileRequest): Promise<integrationHubV1.RepositoryFile> {
    const v = new Violations();
    checkConnectionId(v, req.connectionId);
    checkRepository(v, req.repository);
    const path = encodeRepositoryPath(v, req.path);
    if (req.ref && !/^[A-Za-z0-9_./-]{1,255}$/.test(req.ref)) v.add('ref', 'must be a commit sha, branch or tag');
    const maxBytes = req.maxBytes || DEFAULT_FILE_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_FILE_BYTES) v.add('maxBytes', `must be between 1 and ${MAX_FILE_BYTES}`);
    v.throwIfAny();
    const target = await this.target(req.connectionId);
    const query = req.ref ? `?ref=${encodeURIComponent(req.ref)}` : '';
    try {
      const res = await this.client.call(target, {
        method: 'GET',
        path: `/repos/${req.repository}/contents/${path}${query}`,
        accept: 'application/vnd.github.raw+json',
        maxResponseBytes: maxBytes,
      });
      return { path: req.path, ref: req.ref, content: res.bytes };
    } catch (err) {
      if (err instanceof ValidationError && err.code === 'GITHUB_ANSWER_TOO_LARGE') {
        throw new ValidationError('The file is larger than maxBytes', [{ field: 'maxBytes', message: `the file has more than ${maxBytes} bytes` }], 'FILE_TOO_LARGE');
      }
      throw err;
    }
  }

  async createPullRequestReview(req: integrationHubV1.CreatePullRequestReviewRequest): Promise<integrationHubV1.PullRequestReview> {
    const v = new Violations();
    checkConnectionId(v, req.connectionId);
    checkRepository(v, req.repository);
    checkNumber(v, req.number);
    if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(req.commitId ?? '')) v.add('commitId', 'must be a full commit sha');
    v.text('body', req.body ?? '', MAX_BODY_CHARS);
    const event = req.event || 'COMMENT';
    if (event !== 'COMMENT') v.add('event', 'must be COMMENT');
    const drafts = req.comments ?? [];
    if (drafts.length > MAX_COMMENTS) v.add('comments', `at most ${MAX_COMMENTS} comments per review`);
    const comments = drafts.slice(0, MAX_COMMENTS).map((c, i) => {
      const at = `comments[${i}]`;
      if (!c.path || c.path.length > 4096) v.add(`${at}.path`, 'must be a file path');
      if (!Number.isInteger(c.line) || c.line < 1) v.add(`${at}.line`, 'must be a line number ≥ 1');
      const side = c.side || 'RIGHT';
      if (side !== 'RIGHT' && side !== 'LEFT') v.add(`${at}.side`, 'must be RIGHT or LEFT');
      if (!c.body) v.add(`${at}.body`, 'must not be empty');
      else v.text(`${at}.body`, c.body, MAX_BODY_CHARS);
      if (c.startLine && !(Number.isInteger(c.startLine) && c.startLine >= 1 && c.startLine < c.line)) v.add(`${at}.startLine`, 'must be a line before line');
      return { path: c.path, line: c.line, side, body: c.body, ...(c.startLine ? { start_line: c.startLine, start_side: side } : {}) };
    });
    if (!req.body && comments.length === 0) v.add('body', 'a review needs a body or comments');
    v.throwIfAny();
    const target = await this.target(req.connectionId);
    const res = await this.client.call(target, {
      method: 'POST',
      path: `/repos/${req.repository}/pulls/${req.number}/reviews`,
      body: { commit_id: req.commitId, body: req.body, event, comments },
    });
    const r = parse(res.body) as Json;
    return { id: String(int(r.id)), state: str(r.state), htmlUrl: str(r.html_url), commitId: str(r.commit_id), body: str(r.body) };
  }

  private async listing(req: { page?: { limit?: number; cursor?: string }; connectionId: string; repository: string; number: number }, what: 'files' | 'comments') {
    const v = new Violations();
    checkConnectionId(v, req.connectionId);
    checkRepository(v, req.repository);
    checkNumber(v, req.number);
    v.throwIfAny();
    const page = githubPage(req.page);
    const target = await this.target(req.connectionId);
    return { target, path: `/repos/${req.repository}/pulls/${req.number}/${what}?per_page=${page.perPage}&page=${page.page}` };
  }

  private async target(connectionId: string): Promise<GithubTarget> {
    const connection = await this.connections.get(connectionId);
    if (connection.kind !== 'github') throw new PreconditionFailedError('NOT_A_GITHUB_CONNECTION', 'The connection is not a github connection');
    const token = this.connections.secretsOf(connection).token;
    if (!token) throw new PreconditionFailedError('GITHUB_TOKEN_MISSING', 'The GitHub connection has no token secret');
    return { connectionId, apiBaseUrl: connection.config.apiBaseUrl ?? DEFAULT_API_BASE_URLS.github!, token };
  }
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new PreconditionFailedError('GITHUB_BAD_ANSWER', 'GitHub answered something that is not JSON');
  }
}

function parseArray(body: string): unknown[] {
  const value = parse(body);
  if (!Array.isArray(value)) throw new PreconditionFailedError('GITHUB_BAD_ANSWER', 'GitHub answered something that is not a list');
  return value.filter((x) => x !== null && typeof x === 'object');
}
