import { Module } from '@nestjs/common';
import { ServiceCredentialsModule } from '@aether/auth';
import { GrpcClientsModule } from '@aether/service-kit';
import { EventsModule } from '../events/events.module';
import { ReviewModule } from '../review/review.module';
import { GithubAccess } from './github-access';
import { PullRequestReviewService } from './pull-request-review.service';
import { PullRequestReviewStore } from './pull-request-review.store';
import { PullRequestsConsumer } from './pull-requests.consumer';

/** GitHub pull-request reviews from `pull_request` webhooks (through integration-hub). */
@Module({
  imports: [GrpcClientsModule.register(['integration-hub']), ServiceCredentialsModule.forRoot({ clientId: 'code-assistant' }), ReviewModule, EventsModule],
  providers: [GithubAccess, PullRequestReviewStore, PullRequestReviewService, PullRequestsConsumer],
})
export class PullRequestsModule {}
