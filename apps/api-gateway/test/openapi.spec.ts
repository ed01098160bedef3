import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { TEST_REDIS_URL, startTestService, uniqueName, type TestService } from '@aether/testing';
import { apiGatewayService } from '../src/service';
import { FakeSecurity } from './fake-security';
import { connectedRedis, dropPrefix } from './redis-helpers';

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  at: string;
}

/** Redocly's `recommended` ruleset over the document (in a child process: the linter is ESM-only). */
function redoclyLint(document: string): Promise<LintProblem[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [join(__dirname, 'openapi-lint.mjs')], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`openapi-lint failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as LintProblem[]);
    });
    child.stdin!.end(document);
  });
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Operations anyone may call; every other one needs an access token or an API key. */
const PUBLIC_OPERATIONS = [
  'GET /.well-known/jwks.json',
  'GET /healthz',
  'GET /metrics',
  'GET /readyz',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/register',
  // Signed by the provider instead (verified by integration-hub on the raw body).
  'POST /api/v1/webhooks/discord/{connectionId}',
  'POST /api/v1/webhooks/github/{connectionId}',
  'POST /api/v1/webhooks/slack/{connectionId}',
];

/**
 * The OpenAPI document the gateway serves, checked by real validators (the OpenAPI 3.0 schema via
 * @apidevtools/swagger-parser, Redocly's recommended rules) and against the gateway itself: what
 * it says about credentials is what the server does.
 */
describe('api-gateway OpenAPI document', () => {
  let fake: FakeSecurity;
  let gateway: TestService;
  let base: string;
  let source: string;
  let doc: any;
  const prefix = `${uniqueName('gw_openapi')}:`;

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
        RATE_LIMIT_ANON_POINTS: '1000',
        RATE_LIMIT_AUTH_POINTS: '1000',
      },
    });
    base = `http://127.0.0.1:${gateway.httpPort}`;
    const res = await fetch(`${base}/docs/openapi.json`);
    expect(res.status).toBe(200);
    source = await res.text();
    doc = JSON.parse(source);
  });

  afterAll(async () => {
    await gateway?.close();
    await fake?.stop();
    const redis = await connectedRedis();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  function operations(): { key: string; path: string; method: string; op: any }[] {
    return Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op: item[method] })),
    );
  }

  it('is a valid OpenAPI 3 document (@apidevtools/swagger-parser)', async () => {
    await expect(SwaggerParser.validate(JSON.parse(source))).resolves.toBeDefined();
  });

  it("passes Redocly's recommended ruleset without errors", async () => {
    const problems = await redoclyLint(source);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    // The warnings left are deliberate: no licence to name (the code is unlicensed), and the
    // probes have no client error to document.
    expect(problems.map((p) => `${p.ruleId} ${p.at}`).sort()).toEqual([
      'info-license #/info',
      'operation-4xx-response #/paths/~1healthz/get/responses',
      'operation-4xx-response #/paths/~1metrics/get/responses',
      'operation-4xx-response #/paths/~1readyz/get/responses',
    ]);
  });

  it('names a server and gives every operation a summary', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    for (const { key, op } of operations()) expect([key, typeof op.summary === 'string' && op.summary.length > 3]).toEqual([key, true]);
  });

  it('requires credentials everywhere except the public operations, which say security: []', () => {
    expect(doc.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
    const open = operations().filter(({ op }) => Array.isArray(op.security) && op.security.length === 0).map((o) => o.key);
    expect(open.sort()).toEqual(PUBLIC_OPERATIONS);
  });

  it('documents credentials as the gateway enforces them: 401 without any on every other operation', async () => {
    for (const { key, path, method } of operations()) {
      const url = base + path.replace(/\{[^}]+\}/g, randomUUID());
      const hasBody = ['post', 'put', 'patch'].includes(method);
      const res = await fetch(url, {
        method: method.toUpperCase(),
        headers: hasBody ? { 'content-type': 'application/json' } : {},
        body: hasBody ? '{}' : undefined,
      });
      await res.arrayBuffer();
      const needsCredentials = !PUBLIC_OPERATIONS.includes(key);
      expect([key, res.status === 401]).toEqual([key, needsCredentials]);
    }
  });

  it('lists every error under its own status as problem+json, not only under default', () => {
    for (const { key, path, op } of operations()) {
      const statuses = Object.keys(op.responses);
      for (const status of statuses.filter((s) => s === 'default' || Number(s) >= 400)) {
        const response = op.responses[status];
        // /v1/* is OpenAI-compatible (rest-api.md "AI"): its errors use OpenAI's shape, except the
        // edge's own body checks (413, 415), which answer problem+json before any route runs.
        if (path.startsWith('/v1/') && !['413', '415'].includes(status)) {
          expect([key, status, Object.keys(response.content ?? {})]).toEqual([key, status, ['application/json']]);
          expect(response.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/OpenAiErrorDto' });
          continue;
        }
        expect([key, status, Object.keys(response.content ?? {})]).toEqual([key, status, ['application/problem+json']]);
        expect(response.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/ProblemDto' });
        expect([key, status, response.description.length > 0]).toEqual([key, status, true]);
      }
      if (['/healthz', '/readyz', '/metrics'].includes(path)) continue;
      const expected = ['400', '429', '503', '504'];
      if (op.requestBody) expected.push('413', '415');
      if (path.includes('{')) expected.push('404');
      if (op.security === undefined) expected.push('401', '403');
      const idempotent = (op.parameters ?? []).some((p: any) => p.in === 'header' && p.name === 'Idempotency-Key');
      if (idempotent) expected.push('409', '422');
      expect([key, statuses.filter((s) => expected.includes(s)).sort()]).toEqual([key, expected.sort()]);
      if (idempotent) {
        expect(op.responses['409'].headers['Retry-After']).toEqual({ $ref: '#/components/headers/Retry-After' });
        expect(op.responses['409'].description).toMatch(/IDEMPOTENCY_REQUEST_IN_PROGRESS.*Retry-After/);
      }
      expect(op.responses['429'].headers['Retry-After']).toBeDefined();
    }
    expect(doc.paths['/readyz'].get.responses['503'].description).toMatch(/NOT_READY/);
  });

  it('keeps the specific reasons the routes declare next to the generic ones', () => {
    const register = doc.paths['/api/v1/auth/register'].post.responses;
    expect(register['409'].description).toMatch(/^EMAIL_TAKEN; IDEMPOTENCY_REQUEST_IN_PROGRESS/);
    expect(doc.paths['/api/v1/auth/login'].post.responses['401'].description).toMatch(/INVALID_CREDENTIALS/);
    expect(doc.paths['/api/v1/tasks/{id}'].patch.responses['412'].description).toMatch(/VERSION_CONFLICT/);
    const etag = doc.paths['/api/v1/tasks/{id}'].get.responses['200'].headers.ETag;
    expect(etag.schema).toEqual({ type: 'string' });
  });
});
