import { Global, Module } from '@nestjs/common';
import { EngineEventsWatcher } from '../events/engine-events.watcher';
import { ApiChanges } from './api-changes';
import { containerBackendProvider } from './container-backend.provider';
import { CONTAINER_BACKEND } from './container-backend';
import { ContainersGrpcController } from './containers.grpc.controller';
import { ContainersService } from './containers.service';
import { EngineReadiness } from './engine-readiness';

// Global: the kit resolves the readiness probe (and its backend) from its own module.
@Global()
@Module({
  controllers: [ContainersGrpcController],
  providers: [containerBackendProvider, ApiChanges, ContainersService, EngineEventsWatcher, EngineReadiness],
  exports: [CONTAINER_BACKEND, EngineReadiness, EngineEventsWatcher],
})
export class ContainersModule {}
