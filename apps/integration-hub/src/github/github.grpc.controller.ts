import { RequirePermissions } from '@aether/auth';
import type { integrationHubV1 } from '@aether/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { GithubService } from './github.service';

const SERVICE = 'IntegrationHubService';

/**
 * gRPC transport of the GitHub API on behalf of a connection. integrations:github: service
 * principals granted it (code-assistant's pull-request reviews) and admins, who can already set
 * and replace the connection's token; developers and viewers cannot act as the connection.
 */
@Controller()
@RequirePermissions('integrations:github')
export class GithubGrpcController
  implements Pick<integrationHubV1.IntegrationHubServiceController, 'getPullRequest' | 'listPullRequestFiles' | 'getRepositoryFile' | 'listPullRequestReviewComments' | 'createPullRequestReview'>
{
  constructor(private readonly github: GithubService) {}

  @GrpcMethod(SERVICE, 'GetPullRequest')
  getPullRequest(req: integrationHubV1.GetPullRequestRequest): Promise<integrationHubV1.PullRequest> {
    return this.github.getPullRequest(req);
  }

  @GrpcMethod(SERVICE, 'ListPullRequestFiles')
  listPullRequestFiles(req: integrationHubV1.ListPullRequestFilesRequest): Promise<integrationHubV1.ListPullRequestFilesResponse> {
    return this.github.listPullRequestFiles(req);
  }

  @GrpcMethod(SERVICE, 'GetRepositoryFile')
  getRepositoryFile(req: integrationHubV1.GetRepositoryFileRequest): Promise<integrationHubV1.RepositoryFile> {
    return this.github.getRepositoryFile(req);
  }

  @GrpcMethod(SERVICE, 'ListPullRequestReviewComments')
  listPullRequestReviewComments(req: integrationHubV1.ListPullRequestReviewCommentsRequest): Promise<integrationHubV1.ListPullRequestReviewCommentsResponse> {
    return this.github.listPullRequestReviewComments(req);
  }

  @GrpcMethod(SERVICE, 'CreatePullRequestReview')
  createPullRequestReview(req: integrationHubV1.CreatePullRequestReviewRequest): Promise<integrationHubV1.PullRequestReview> {
    return this.github.createPullRequestReview(req);
  }
}
