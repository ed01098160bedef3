// Smoke test of docker-manager (generated): the production service definition starts on real stores,
// is ready.
import { startTestService, type TestService, TestIdentities } from '@aether/testing';
import { dockerManagerService } from '../src/service';

describe('docker-manager service', () => {
  let identities: TestIdentities;
  let service: TestService;

  beforeAll(async () => {
    identities = await new TestIdentities().start();
    service = await startTestService(dockerManagerService, {
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
