// Smoke test of ai-gateway (generated): the production service definition starts on real stores,
// is ready.
import { startTestService, type TestService, TestIdentities } from '@aether/testing';
import { aiGatewayService } from '../src/service';

describe('ai-gateway service', () => {
  let identities: TestIdentities;
  let service: TestService;

  beforeAll(async () => {
    identities = await new TestIdentities().start();
    service = await startTestService(aiGatewayService, {
      env: {
        AUTH_JWKS_URL: identities.jwksUrl,
      },
    });
  });

  afterAll(async () => {
    await service?.close();
    await identities?.stop();
  });

  it('is ready once its stores answer', async () => {
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(200);
  });
});
