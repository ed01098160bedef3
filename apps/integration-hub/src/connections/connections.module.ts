import { Module } from '@nestjs/common';
import { periodicJobProvider } from '@aether/service-kit';
import { IntegrationHubEnv } from '../config/integration-hub.env';
import { SecretBox } from '../crypto/secret-box';
import { ConnectionsGrpcController } from './connections.grpc.controller';
import { ConnectionsService } from './connections.service';

/** Connections, their sealed secrets, and the background re-sealing after a key rotation. */
@Module({
  controllers: [ConnectionsGrpcController],
  providers: [
    { provide: SecretBox, inject: [IntegrationHubEnv], useFactory: (env: IntegrationHubEnv) => new SecretBox(env.INTEGRATION_HUB_SECRET_KEYS) },
    ConnectionsService,
    periodicJobProvider('SecretResealJob', [ConnectionsService], (connections: ConnectionsService) => ({
      name: 'SecretResealJob',
      intervalMs: 60_000,
      initialDelayMs: 1_000,
      run: async () => ((await connections.resealBatch(100)) === 100 ? 'again' : undefined),
    })),
  ],
  exports: [ConnectionsService],
})
export class ConnectionsModule {}
