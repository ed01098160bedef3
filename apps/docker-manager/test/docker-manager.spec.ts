// docker-manager in-process on a real engine (a private dockerd): ready while the engine answers
// and not when it does not; and an id outside the allow-list takes exactly the engine calls of one
// that does not exist, so nothing — answers or timings — tells them apart.
import { createTempVhost, startDockerEngine, startTestService, TestIdentities, type DockerEngine, type TempResource, type TestService } from '@aether/testing';
import { CONTAINER_BACKEND, type ContainerBackend } from '../src/containers/container-backend';
import { dockerManagerService } from '../src/service';

jest.setTimeout(90_000);

describe('docker-manager service', () => {
  let identities: TestIdentities;
  let engine: DockerEngine;
  let vhost: TempResource;
  let service: TestService;
  let hiddenId: string;
  let shownId: string;

  beforeAll(async () => {
    identities = await new TestIdentities().start();
    [engine, vhost] = await Promise.all([startDockerEngine(), createTempVhost('dm_smoke')]);
    hiddenId = await engine.dockerOk(['run', '-d', '--name', 'hidden', engine.image, 'sleep', '100000']);
    shownId = await engine.dockerOk(['run', '-d', '--name', 'shown', '--label', 'aether.managed=true', engine.image, 'sleep', '100000']);
    service = await startTestService(dockerManagerService, {
      // The watcher off: the test reads the backend's event stream itself.
      env: { AUTH_JWKS_URL: identities.jwksUrl, RABBITMQ_URL: vhost.url, DOCKER_HOST: engine.dockerHost, CONTAINER_EVENTS_ENABLED: 'false' },
    });
  });

  afterAll(async () => {
    await service?.close();
    await Promise.allSettled([engine?.stop(), vhost?.drop(), identities?.stop()]);
  });

  it('is ready while the engine answers', async () => {
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(200);
  });

  it('resolves a reference outside the allow-list through the very engine calls of an unknown one', async () => {
    const backend = service.get<ContainerBackend>(CONTAINER_BACKEND);
    const api = (backend as unknown as { api: Record<string, (...a: unknown[]) => unknown> }).api;
    const calls: string[] = [];
    for (const method of ['listContainers', 'getContainer', 'ping']) {
      const original = api[method].bind(api);
      jest.spyOn(api, method).mockImplementation((...args: unknown[]) => {
        calls.push(`${method}(${JSON.stringify(args)})`);
        return original(...args);
      });
    }
    const trace = async (ref: string) => {
      calls.length = 0;
      const found = await backend.find(ref);
      return { found, calls: [...calls] };
    };
    const unknownId = 'f'.repeat(64);
    const [hiddenById, unknownById, hiddenByName, unknownByName, hiddenByPrefix, unknownByPrefix] = [
      await trace(hiddenId), await trace(unknownId), await trace('hidden'), await trace('nobody'), await trace(hiddenId.slice(0, 12)), await trace('f'.repeat(12)),
    ];
    expect(hiddenById).toEqual(unknownById);
    expect(hiddenByName).toEqual(unknownByName);
    expect(hiddenByPrefix).toEqual(unknownByPrefix);
    expect(hiddenById).toEqual({ found: undefined, calls: [expect.stringMatching(/^listContainers\(/)] });
    // The engine is asked only for allow-listed containers; the reference never reaches it.
    expect(hiddenById.calls[0]).toContain('aether.managed=true');
    expect(hiddenById.calls.join()).not.toContain(hiddenId);
    // …whereas a managed one is found and inspected.
    const shown = await trace('shown');
    expect(shown.found?.id).toBe(shownId);
    expect(shown.calls.some((c) => c.startsWith(`getContainer(["${shownId}"]`))).toBe(true);
    jest.restoreAllMocks();
  });

  it('replays after a reconnect what changed while the event stream was down', async () => {
    const backend = service.get<ContainerBackend>(CONTAINER_BACKEND);
    const first = new AbortController();
    const stream1 = backend.events(first.signal)[Symbol.asyncIterator]();
    const next = stream1.next();
    await new Promise((r) => setTimeout(r, 500)); // connected
    await engine.dockerOk(['stop', '-t', '0', 'shown']);
    expect((await next).value).toMatchObject({ kind: 'stopped', containerId: shownId });
    first.abort();
    await stream1.return?.(undefined);

    // Down: the container starts again meanwhile.
    await engine.dockerOk(['start', 'shown']);
    const second = new AbortController();
    const seen: string[] = [];
    const timer = setTimeout(() => second.abort(), 3000);
    for await (const event of backend.events(second.signal)) {
      seen.push(`${event.kind} ${event.container.state}`);
      if (event.kind === 'started') break;
    }
    clearTimeout(timer);
    second.abort();
    // Only what came after the last event read: no repeat of the stop.
    expect(seen).toEqual(['started running']);
  });

  it('is not ready, and answers UNAVAILABLE, once the engine is gone', async () => {
    await engine.stop();
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.json())).toContain('container-engine');
    const backend = service.get<ContainerBackend>(CONTAINER_BACKEND);
    await expect(backend.list({ labels: [] })).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });
});
