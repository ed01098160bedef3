import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';
import { MessagingModule } from '@aether/messaging';
import { ContainersModule } from './containers/containers.module';

/** Everything docker-manager runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    // Verifies the caller's token on every RPC (the kit installs the guard on the gRPC server).
    AuthModule.forRoot(),
    // Events out, published directly with confirms (no database, so no outbox).
    MessagingModule.forRoot(),
    ContainersModule,
  ],
})
export class DockerManagerModule {}
