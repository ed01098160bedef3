import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';

/** Everything docker-manager runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    // Verifies the caller's token on every RPC (the kit installs the guard on the gRPC server).
    AuthModule.forRoot(),
  ],
})
export class DockerManagerModule {}
