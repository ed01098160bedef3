import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';
import { MessagingModule } from '@aether/messaging';
import { AssistModule } from './assist/assist.module';
import { CodeAssistantGrpcController } from './code-assistant.grpc.controller';
import { DatabaseModule } from './database/database.module';
import { PullRequestsModule } from './pull-requests/pull-requests.module';
import { ReviewModule } from './review/review.module';

/** Everything code-assistant runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    DatabaseModule,
    // Verifies the caller's token on every RPC (the kit installs the guard on the gRPC server).
    AuthModule.forRoot(),
    // RABBITMQ_URL from the validated env; the outbox (EventsModule) relays code-assistant.* events after each commit.
    MessagingModule.forRoot(),
    ReviewModule,
    AssistModule,
    PullRequestsModule,
  ],
  controllers: [CodeAssistantGrpcController],
})
export class CodeAssistantModule {}
