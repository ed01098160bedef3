import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ContainerDiedEvent, ContainerRestartedEvent, ContainerStartedEvent, ContainerStoppedEvent } from '@aether/contracts';
import { EventPublisher } from '@aether/messaging';
import { DockerManagerEnv } from '../config/docker-manager.env';
import { ApiChanges } from '../containers/api-changes';
import { CONTAINER_BACKEND, type ContainerBackend, type EngineEvent } from '../containers/container-backend';
import { eventIdFor } from './event-ids';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/**
 * Follows the engine's event stream and publishes the state changes of allow-listed containers as
 * `docker-manager.container.*` events (origin "engine"); reconnects with a doubling back-off when
 * the stream drops. Changes made through the API are published by the action itself.
 */
@Injectable()
export class EngineEventsWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EngineEventsWatcher.name);
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  /** True while the engine's event stream is connected (logged on each change). */
  private connected = false;

  constructor(
    @Inject(CONTAINER_BACKEND) private readonly backend: ContainerBackend,
    private readonly publisher: EventPublisher,
    private readonly apiChanges: ApiChanges,
    private readonly env: DockerManagerEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.CONTAINER_EVENTS_ENABLED) this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    while (!this.abort.signal.aborted) {
      try {
        for await (const event of this.backend.events(this.abort.signal)) {
          if (!this.connected) this.logger.log('following the engine event stream');
          this.connected = true;
          delay = RECONNECT_MIN_MS;
          await this.publish(event);
        }
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'engine event stream lost; reconnecting');
      }
      this.connected = false;
      if (this.abort.signal.aborted) break;
      await sleep(delay, this.abort.signal);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  private async publish(event: EngineEvent): Promise<void> {
    if (this.apiChanges.isEcho(event.containerId)) return;
    const opts = { id: eventIdFor(event.key) };
    try {
      switch (event.kind) {
        case 'started':
          await this.publisher.publish(ContainerStartedEvent, { container: event.container, origin: 'engine' }, opts);
          break;
        case 'stopped':
          await this.publisher.publish(ContainerStoppedEvent, { container: event.container, origin: 'engine' }, opts);
          break;
        case 'restarted':
          await this.publisher.publish(ContainerRestartedEvent, { container: event.container, origin: 'engine' }, opts);
          break;
        case 'died':
          await this.publisher.publish(ContainerDiedEvent, { container: event.container, exitCode: event.exitCode, oomKilled: event.oomKilled }, opts);
          break;
      }
    } catch (err) {
      this.logger.error({ err: (err as Error).message, kind: event.kind, containerId: event.containerId }, 'engine event not published');
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
