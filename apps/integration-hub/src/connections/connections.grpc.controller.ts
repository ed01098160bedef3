import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { integrationHubV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { toConnectionMessage } from './connection';
import { ConnectionsService } from './connections.service';

const SERVICE = 'IntegrationHubService';

/** gRPC transport of connections (admins: integrations:manage). */
@Controller()
export class ConnectionsGrpcController {
  constructor(private readonly connections: ConnectionsService) {}

  @GrpcMethod(SERVICE, 'CreateConnection')
  @RequirePermissions('integrations:manage')
  async createConnection(req: integrationHubV1.CreateConnectionRequest): Promise<integrationHubV1.Connection> {
    const { connection, generated } = await this.connections.create(req);
    return toConnectionMessage(connection, generated);
  }

  @GrpcMethod(SERVICE, 'ListConnections')
  @RequirePermissions('integrations:manage')
  async listConnections(req: integrationHubV1.ListConnectionsRequest): Promise<integrationHubV1.ListConnectionsResponse> {
    const page = await this.connections.list(req);
    return { items: page.items.map((c) => toConnectionMessage(c)), nextCursor: page.nextCursor };
  }

  @GrpcMethod(SERVICE, 'GetConnection')
  @RequirePermissions('integrations:manage')
  async getConnection(req: integrationHubV1.GetConnectionRequest): Promise<integrationHubV1.Connection> {
    return toConnectionMessage(await this.connections.get(req.id));
  }

  @GrpcMethod(SERVICE, 'UpdateConnection')
  @RequirePermissions('integrations:manage')
  async updateConnection(req: integrationHubV1.UpdateConnectionRequest): Promise<integrationHubV1.Connection> {
    return toConnectionMessage(await this.connections.update(req));
  }

  @GrpcMethod(SERVICE, 'DeleteConnection')
  @RequirePermissions('integrations:manage')
  async deleteConnection(req: integrationHubV1.DeleteConnectionRequest): Promise<integrationHubV1.DeleteConnectionResponse> {
    await this.connections.delete(req.id);
    return {};
  }
}
