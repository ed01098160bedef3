import { Logger } from '@nestjs/common';
import { ContainerStartedEvent, ContainerDiedEvent } from '@aether/contracts';
import { ApiChanges } from '../containers/api-changes';
import type { Container, ContainerBackend, EngineEvent } from '../containers/container-backend';
import type { DockerManagerEnv } from '../config/docker-manager.env';
import { EngineEventsWatcher } from './engine-events.watcher';
import { eventIdFor } from './event-ids';

const container = (id: string) => ({ id, name: id, labels: {} }) as unknown as Container;

/** An engine whose event stream breaks: the first connection fails, the second drops after one event, the third lives. */
function flakyBackend(): { backend: ContainerBackend; connections: () => number } {
  let n = 0;
  const backend = {
    async *events(signal: AbortSignal): AsyncIterable<EngineEvent> {
      n++;
      if (n === 1) throw new Error('connect ECONNREFUSED');
      if (n === 2) {
        yield { kind: 'started', key: 'k1', containerId: 'c1', container: container('c1') };
        throw new Error('socket hang up');
      }
      yield { kind: 'died', key: 'k2', containerId: 'c2', container: container('c2'), exitCode: 3, oomKilled: false };
      yield { kind: 'started', key: 'k3', containerId: 'echo', container: container('echo') };
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    },
  } as unknown as ContainerBackend;
  return { backend, connections: () => n };
}

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

describe('EngineEventsWatcher', () => {
  it('reconnects after the stream fails or drops, publishes each change with a stable id, and skips echoes of API actions', async () => {
    const published: Array<{ type: string; data: any; opts: any }> = [];
    const publisher = { publish: jest.fn(async (def: { type: string }, data: unknown, opts: unknown) => void published.push({ type: def.type, data, opts })) };
    const apiChanges = new ApiChanges();
    apiChanges.begin('echo');
    const { backend, connections } = flakyBackend();
    const watcher = new EngineEventsWatcher(backend, publisher as any, apiChanges, { CONTAINER_EVENTS_ENABLED: true } as DockerManagerEnv);
    watcher.onApplicationBootstrap();
    const deadline = Date.now() + 5000;
    while (published.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    await watcher.onApplicationShutdown();

    expect(connections()).toBe(3);
    expect(published.map((p) => p.type)).toEqual([ContainerStartedEvent.type, ContainerDiedEvent.type]);
    expect(published[0]).toMatchObject({ data: { origin: 'engine' }, opts: { id: eventIdFor('k1') } });
    expect(published[1]).toMatchObject({ data: { exitCode: 3, oomKilled: false }, opts: { id: eventIdFor('k2') } });
  });

  it('derives the same UUID from the same key in every replica', () => {
    expect(eventIdFor('a:die:1')).toBe(eventIdFor('a:die:1'));
    expect(eventIdFor('a:die:1')).not.toBe(eventIdFor('a:die:2'));
    expect(eventIdFor('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('ApiChanges', () => {
  it('takes engine reports as echoes while an action runs and for 5 s after', () => {
    const c = new ApiChanges();
    expect(c.isEcho('a', 0)).toBe(false);
    c.begin('a');
    expect(c.isEcho('a', 0)).toBe(true);
    c.end('a', 1000);
    expect(c.isEcho('a', 5999)).toBe(true);
    expect(c.isEcho('a', 6001)).toBe(false);
    expect(c.isEcho('b', 1000)).toBe(false);
  });
});
