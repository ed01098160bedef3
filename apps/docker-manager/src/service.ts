import { AmqpReadiness } from '@aether/messaging';
import { defineService } from '@aether/service-kit';
import { DockerManagerEnv } from './config/docker-manager.env';
import { EngineReadiness } from './containers/engine-readiness';
import { DockerManagerModule } from './docker-manager.module';

/**
 * docker-manager: the allow-listed containers of a Docker engine (or the labelled pods of a
 * Kubernetes namespace) over gRPC — list, inspect, start/stop/restart, logs, stats — with every
 * action audited and the engine's state changes published as events.
 */
export const dockerManagerService = defineService({
  name: 'docker-manager',
  env: DockerManagerEnv,
  module: DockerManagerModule,
  grpc: true,
  readiness: [EngineReadiness, AmqpReadiness],
});
