import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { ContainersController } from './containers.controller';

/** /api/v1/containers → docker-manager (DOCKER_MANAGER_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['docker-manager'])],
  controllers: [ContainersController],
})
export class ContainersRoutesModule {}
