// Smoke test of ai-gateway: the production service definition starts in-process on real stores
// with the default configuration (no provider keys), is ready, and refuses a bad configuration
// with a message naming the key.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempVhost, startTestService, TEST_REDIS_URL, TestIdentities, uniqueName, type TempResource, type TestService } from '@aether/testing';
import { aiGatewayService } from '../src/service';

describe('ai-gateway service', () => {
  let identities: TestIdentities;
  let vhost: TempResource;
  let service: TestService;
  const dir = mkdtempSync(join(tmpdir(), 'ai-gw-smoke-'));
  const env = () => ({ AUTH_JWKS_URL: identities.jwksUrl, RABBITMQ_URL: vhost.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `${uniqueName('ai_smoke')}:` });

  beforeAll(async () => {
    [identities, vhost] = await Promise.all([new TestIdentities().start(), createTempVhost('ai_smoke')]);
    service = await startTestService(aiGatewayService, { env: env() });
  });

  afterAll(async () => {
    await service?.close();
    await identities?.stop();
    await vhost?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready once its stores answer, with the default configuration and no provider keys', async () => {
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(200);
  });

  it('does not start with an invalid configuration, naming the bad key', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'providers:\n  openai: { kind: openia, baseUrl: https://api.openai.com/v1 }\naliases:\n  fast: [nowhere/model]\n');
    const err = await startTestService(aiGatewayService, { env: { ...env(), AI_GATEWAY_CONFIG: file } }).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain('providers.openai.kind: must be openai or anthropic');
    expect(err?.message).toContain('aliases.fast[0]: provider "nowhere" is not configured under providers');
  });
});
