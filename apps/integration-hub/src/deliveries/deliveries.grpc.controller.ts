import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { integrationHubV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { DeliveriesService } from './deliveries.service';
import { toDeliveryMessage } from './delivery';

const SERVICE = 'IntegrationHubService';

/** gRPC transport of the delivery log and replays (admins: integrations:manage). */
@Controller()
export class DeliveriesGrpcController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @GrpcMethod(SERVICE, 'ListDeliveries')
  @RequirePermissions('integrations:manage')
  async listDeliveries(req: integrationHubV1.ListDeliveriesRequest): Promise<integrationHubV1.ListDeliveriesResponse> {
    const page = await this.deliveries.list(req);
    return { items: page.items.map((d) => toDeliveryMessage(d)), nextCursor: page.nextCursor };
  }

  @GrpcMethod(SERVICE, 'GetDelivery')
  @RequirePermissions('integrations:manage')
  async getDelivery(req: integrationHubV1.GetDeliveryRequest): Promise<integrationHubV1.Delivery> {
    const { delivery, attempts } = await this.deliveries.get(req.id);
    return toDeliveryMessage(delivery, attempts);
  }

  @GrpcMethod(SERVICE, 'ReplayDelivery')
  @RequirePermissions('integrations:manage')
  async replayDelivery(req: integrationHubV1.ReplayDeliveryRequest): Promise<integrationHubV1.Delivery> {
    return toDeliveryMessage(await this.deliveries.replay(req.id));
  }

  @GrpcMethod(SERVICE, 'ReplayDeliveries')
  @RequirePermissions('integrations:manage')
  async replayDeliveries(req: integrationHubV1.ReplayDeliveriesRequest): Promise<integrationHubV1.ReplayDeliveriesResponse> {
    return { replayed: await this.deliveries.replayMany(req) };
  }
}
