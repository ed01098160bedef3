// Smoke test of integration-hub: the production service definition starts on real stores
// (PostgreSQL, RabbitMQ) and is ready.
import { createTempDatabase, createTempVhost, startTestService, type TempResource, type TestService, TestIdentities } from '@aether/testing';
import { integrationHubService } from '../src/service';

describe('integration-hub service', () => {
  let identities: TestIdentities;
  let store: TempResource;
  let vhost: TempResource;
  let service: TestService;

  beforeAll(async () => {
    identities = await new TestIdentities().start();
    [store, vhost] = await Promise.all([createTempDatabase('integration_hub'), createTempVhost('integration_hub')]);
    service = await startTestService(integrationHubService, {
      env: {
        AUTH_JWKS_URL: identities.jwksUrl,
        DATABASE_URL: store.url,
        RABBITMQ_URL: vhost.url,
        INTEGRATION_HUB_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      },
    });
  });

  afterAll(async () => {
    await service?.close();
    await Promise.allSettled([store?.drop(), vhost?.drop()]);
    await identities?.stop();
  });

  it('is ready once its stores answer', async () => {
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(200);
  });
});
