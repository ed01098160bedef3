import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { integrationHubV1 } from '@aether/contracts';
import { Public } from '@aether/auth';
import { IntakeService } from './intake.service';

/**
 * Webhook intake. Public on purpose: providers hold no access token; the signature over the raw
 * body, checked in IntakeService, is the authentication.
 */
@Controller()
export class IntakeGrpcController {
  constructor(private readonly intake: IntakeService) {}

  @GrpcMethod('IntegrationHubService', 'IngestWebhook')
  @Public()
  ingestWebhook(req: integrationHubV1.IngestWebhookRequest): Promise<integrationHubV1.IngestWebhookResponse> {
    return this.intake.ingest(req);
  }
}
