import { loadEnv } from '@aether/service-kit';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AiGatewayEnv, gatewayConfigOf } from './ai-gateway.env';
import { loadGatewayConfig } from './gateway-config';

describe('AiGatewayEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-env-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hands the app the configuration its validation read (the file is parsed once per start)', () => {
    const file = join(dir, 'config.yaml');
    copyFileSync('apps/ai-gateway/config/default.yaml', file);
    const env = loadEnv(AiGatewayEnv, { AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks', RABBITMQ_URL: 'amqp://127.0.0.1:1', AI_GATEWAY_CONFIG: file });
    rmSync(file); // a second read would now fail
    expect(gatewayConfigOf(env)).toEqual(loadGatewayConfig('apps/ai-gateway/config/default.yaml'));
  });

  it('stops the start naming the file when the configuration is bad', () => {
    expect(() => loadEnv(AiGatewayEnv, { AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks', AI_GATEWAY_CONFIG: join(dir, 'missing.yaml') })).toThrow(/AI_GATEWAY_CONFIG/);
  });
});
