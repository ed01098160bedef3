import { ASYNCAPI_DOCUMENT, EVENT_CATALOG } from '@aether/contracts';
import { TEST_REDIS_URL, startTestService, uniqueName, type TestService } from '@aether/testing';
import { apiGatewayService } from '../src/service';
import { FakeSecurity } from './fake-security';
import { connectedRedis, dropPrefix } from './redis-helpers';

/** GET /docs/asyncapi.json: the generated AsyncAPI document, public, as application/json. */
describe('api-gateway AsyncAPI document', () => {
  let fake: FakeSecurity;
  let gateway: TestService;
  const prefix = `${uniqueName('gw_asyncapi')}:`;

  beforeAll(async () => {
    fake = await FakeSecurity.start();
    gateway = await startTestService(apiGatewayService, {
      env: {
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        SECURITY_GRPC_URL: `127.0.0.1:${fake.grpcPort}`,
        TASK_MANAGER_GRPC_URL: '127.0.0.1:1',
        ANALYTICS_GRPC_URL: '127.0.0.1:1',
        AUTH_JWKS_URL: fake.jwksUrl,
      },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await fake?.stop();
    const redis = await connectedRedis();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  it('serves the generated document to anyone, with every event type as a channel', async () => {
    const res = await fetch(`http://127.0.0.1:${gateway.httpPort}/docs/asyncapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { channels: Record<string, { address: string }> };
    expect(doc).toEqual(JSON.parse(JSON.stringify(ASYNCAPI_DOCUMENT)));
    expect(Object.values(doc.channels).map((c) => c.address).sort()).toEqual(EVENT_CATALOG.map((d) => d.type).sort());
  });

  it('is not an operation of the REST API document', async () => {
    const openapi = (await (await fetch(`http://127.0.0.1:${gateway.httpPort}/docs/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).not.toContain('/docs/asyncapi.json');
  });
});
