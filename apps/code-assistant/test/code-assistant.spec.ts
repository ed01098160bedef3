// Smoke test of code-assistant (generated): the production service definition starts on real stores,
// is ready.
import { createTempDatabase, createTempVhost, startTestService, type TempResource, type TestService, TestIdentities } from '@aether/testing';
import { codeAssistantService } from '../src/service';

describe('code-assistant service', () => {
  let identities: TestIdentities;
  let store: TempResource;
  let vhost: TempResource;
  let service: TestService;

  beforeAll(async () => {
    identities = await new TestIdentities().start();
    store = await createTempDatabase('code_assistant');
    vhost = await createTempVhost('code_assistant');
    service = await startTestService(codeAssistantService, {
      env: {
        AUTH_JWKS_URL: identities.jwksUrl,
        DATABASE_URL: store.url,
        RABBITMQ_URL: vhost.url,
      },
    });
  });

  afterAll(async () => {
    await service?.close();
    await store?.drop();
    await vhost?.drop();
    await identities?.stop();
  });

  it('is ready once its stores answer', async () => {
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(200);
  });
});
