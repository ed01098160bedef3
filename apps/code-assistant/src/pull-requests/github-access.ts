import { Injectable } from '@nestjs/common';
import type { CallOptions, Metadata } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import type { integrationHubV1 } from '@aether/contracts';
import { ServiceTokenProvider } from '@aether/auth';
import { InjectGrpcClient, readGrpcError } from '@aether/service-kit';

/** One GitHub call through integration-hub may wait on GitHub itself (and its retries). */
const GITHUB_CALL_DEADLINE_MS = 20_000;
/** GitHub lists at most 3000 files of a pull request; pages of 100. */
const MAX_PAGES = 30;

type Rpc<Req, Res> = (req: Req, md: Metadata, options: CallOptions) => Observable<Res>;

/** A GitHub call integration-hub refused or could not make, with whether trying later may help. */
export class GithubAccessError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** GitHub's 422 ("Unprocessable Entity"): what was sent is wrong, not the moment. */
    readonly unprocessable: boolean,
    readonly transient: boolean,
    readonly violations: string[] = [],
  ) {
    super(message);
  }
}

/**
 * GitHub on behalf of a connection, through integration-hub's RPCs (the token never leaves the
 * hub), as code-assistant's own service principal: there is no user behind a webhook.
 */
@Injectable()
export class GithubAccess {
  constructor(
    @InjectGrpcClient('integration-hub') private readonly hub: integrationHubV1.IntegrationHubServiceClient,
    private readonly serviceToken: ServiceTokenProvider,
  ) {}

  getPullRequest(req: integrationHubV1.GetPullRequestRequest): Promise<integrationHubV1.PullRequest> {
    return this.call(this.hub.getPullRequest, req);
  }

  /** Every changed file, following the pages (patch absent where GitHub sends none). */
  async listFiles(connectionId: string, repository: string, number: number): Promise<integrationHubV1.PullRequestFile[]> {
    const out: integrationHubV1.PullRequestFile[] = [];
    let cursor = '';
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await this.call(this.hub.listPullRequestFiles, { connectionId, repository, number, page: { limit: 100, cursor } });
      out.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return out;
  }

  async listReviewComments(connectionId: string, repository: string, number: number): Promise<integrationHubV1.PullRequestReviewComment[]> {
    const out: integrationHubV1.PullRequestReviewComment[] = [];
    let cursor = '';
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await this.call(this.hub.listPullRequestReviewComments, { connectionId, repository, number, page: { limit: 100, cursor } });
      out.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return out;
  }

  getFile(req: integrationHubV1.GetRepositoryFileRequest): Promise<integrationHubV1.RepositoryFile> {
    return this.call(this.hub.getRepositoryFile, req);
  }

  createReview(req: integrationHubV1.CreatePullRequestReviewRequest): Promise<integrationHubV1.PullRequestReview> {
    return this.call(this.hub.createPullRequestReview, req);
  }

  private async call<Req, Res>(rpc: (req: Req, md?: Metadata) => Observable<Res>, req: Req, retried = false): Promise<Res> {
    const md = await this.serviceToken.metadata();
    try {
      return await new Promise<Res>((resolve, reject) =>
        (rpc as unknown as Rpc<Req, Res>).call(this.hub, req, md, { deadline: Date.now() + GITHUB_CALL_DEADLINE_MS }).subscribe({ next: resolve, error: reject }),
      );
    } catch (err) {
      const e = readGrpcError(err);
      // A rotated signing key makes a cached token fail: fetch a new one, once.
      if (e.httpStatus === 401 && !retried) {
        this.serviceToken.invalidate();
        return this.call(rpc, req, true);
      }
      const violations = e.violations.map((v) => v.message);
      throw new GithubAccessError(
        `${e.code}: ${e.message}`,
        e.code,
        e.code === 'GITHUB_UNPROCESSABLE',
        e.httpStatus === 503 || e.httpStatus === 504 || e.httpStatus === 429,
        violations,
      );
    }
  }
}
