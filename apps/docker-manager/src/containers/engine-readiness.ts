import { Inject, Injectable } from '@nestjs/common';
import type { ReadinessProbe } from '@aether/service-kit';
import { CONTAINER_BACKEND, type ContainerBackend } from './container-backend';

/** /readyz: the container engine (Docker or the Kubernetes API) answers. */
@Injectable()
export class EngineReadiness implements ReadinessProbe {
  readonly name = 'container-engine';

  constructor(@Inject(CONTAINER_BACKEND) private readonly backend: ContainerBackend) {}

  check(): Promise<void> {
    return this.backend.ping();
  }
}
