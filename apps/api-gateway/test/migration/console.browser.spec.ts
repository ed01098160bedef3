/**
 * The migration console at /admin in a real browser (Debian's chromium through playwright-core):
 * log in as the administrator through the real security service, see the routes with live
 * counters, flip a route to new and back, get a 400 shown for a bad value, see mismatch samples.
 * Processes from dist/ (`bash scripts/build.sh` first): security, api-gateway, and the legacy
 * stand-in in this process.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createTempDatabase, createTempVhost, startApp, uniqueName, waitFor, type StartedApp, type TempResource } from '@aether/testing';
import type Redis from 'ioredis';
import { startLegacyStandin, type LegacyStandin } from '../../../../tools/legacy-standin/legacy-standin';
import { connectedRedis, dropPrefix } from '../redis-helpers';
import { launchChromium, type LaunchedBrowser } from './chromium';

jest.setTimeout(180_000);

const ADMIN = { email: 'console-admin@example.com', password: 'console-password-123' };
const redisPrefix = `${uniqueName('gw_console')}:`;
let securityDb: TempResource;
let gatewayDb: TempResource;
let vhost: TempResource;
let redis: Redis;
let standin: LegacyStandin;
let security: StartedApp | undefined;
let gateway: StartedApp | undefined;
let browser: LaunchedBrowser | undefined;
let page: Page;
let token: string;
let chatRouteId: string;

const servedBy = async (path: string) => (await fetch(gateway!.httpUrl + path, { headers: { authorization: `Bearer ${token}` } })).headers.get('x-aether-served-by');
const rowOf = (prefix: string) => page.locator(`#routes tbody tr[data-prefix="${prefix}"]`);

beforeAll(async () => {
  [securityDb, gatewayDb, vhost, redis, standin] = await Promise.all([
    createTempDatabase('gw_console_sec'),
    createTempDatabase('gw_console'),
    createTempVhost('gw_console'),
    connectedRedis(),
    startLegacyStandin(),
  ]);
  security = await startApp('security', {
    DATABASE_URL: securityDb.url,
    RABBITMQ_URL: vhost.url,
    JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  });
  [gateway, browser] = await Promise.all([
    startApp('api-gateway', {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: redisPrefix,
      SECURITY_GRPC_URL: security.grpcAddress,
      AUTH_JWKS_URL: `${security.httpUrl}/.well-known/jwks.json`,
      LEGACY_API_URL: standin.url,
      DATABASE_URL: gatewayDb.url,
      RABBITMQ_URL: vhost.url,
    }),
    launchChromium(),
  ]);
  const login = await fetch(`${gateway.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  token = ((await login.json()) as { accessToken: string }).accessToken;
  const created = await fetch(`${gateway.httpUrl}/api/v1/admin/routes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ prefix: '/api/v1/chat', target: 'legacy' }),
  });
  expect(created.status).toBe(201);
  chatRouteId = ((await created.json()) as { id: string }).id;
  page = await browser.context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop(5000);
  await security?.stop(5000);
  await standin?.stop();
  if (redis) {
    await dropPrefix(redis, redisPrefix).catch(() => undefined);
    await redis.quit();
  }
  await Promise.allSettled([securityDb?.drop(), gatewayDb?.drop(), vhost?.drop()]);
});

it('refuses a wrong password and logs the administrator in', async () => {
  await page.goto(`${gateway!.httpUrl}/admin`);
  await page.fill('#login-email', ADMIN.email);
  await page.fill('#login-password', 'not-the-password');
  await page.click('#login-submit');
  await page.locator('#login-error').filter({ hasText: 'INVALID_CREDENTIALS' }).waitFor();
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await rowOf('/api/v1/chat').waitFor();
  expect(await page.textContent('#whoami')).toBe(ADMIN.email);
  // The seeded table is listed too.
  await rowOf('/').waitFor();
  await rowOf('/api/v1/tasks').waitFor();
});

it('shows live counters per side', async () => {
  for (let i = 0; i < 3; i++) expect(await servedBy('/api/v1/chat/messages')).toBe('legacy');
  await page.locator('#routes tbody tr[data-prefix="/api/v1/chat"] td.stats-legacy').filter({ hasText: /^3 \/ 0 \// }).waitFor({ timeout: 10_000 });
});

it('flips a route to new and rolls it back, in force at once', async () => {
  await rowOf('/api/v1/chat').locator('select.target').selectOption('new');
  await rowOf('/api/v1/chat').locator('button.save').click();
  await rowOf('/api/v1/chat').locator('td', { hasText: 'v2' }).waitFor();
  await waitFor(async () => (await servedBy('/api/v1/chat/messages')) === 'new', { timeoutMs: 1000, what: 'new after the flip' });
  expect(await rowOf('/api/v1/chat').locator('input.rollout').inputValue()).toBe('100');

  await rowOf('/api/v1/chat').locator('button.rollback').click();
  await rowOf('/api/v1/chat').locator('td', { hasText: 'v3' }).waitFor();
  await waitFor(async () => (await servedBy('/api/v1/chat/messages')) === 'legacy', { timeoutMs: 1000, what: 'legacy after the rollback' });
});

it('shows why a bad change was refused, and the route stays', async () => {
  await rowOf('/api/v1/chat').locator('input.rollout').fill('150');
  await rowOf('/api/v1/chat').locator('button.save').click();
  await page.locator('#routes-error').filter({ hasText: 'rolloutPercent' }).waitFor();
  const res = await fetch(`${gateway!.httpUrl}/api/v1/admin/routes`, { headers: { authorization: `Bearer ${token}` } });
  const route = ((await res.json()) as { items: { id: string; version: number; rolloutPercent: number }[] }).items.find((r) => r.id === chatRouteId)!;
  expect(route).toMatchObject({ version: 3, rolloutPercent: 0 });
});

it('turns on a shadow and shows the mismatching pairs', async () => {
  await page.reload();
  await rowOf('/api/v1/chat').waitFor();
  await rowOf('/api/v1/chat').locator('select.shadow').selectOption('new');
  await rowOf('/api/v1/chat').locator('button.save').click();
  await rowOf('/api/v1/chat').locator('td', { hasText: 'v4' }).waitFor();
  expect(await servedBy('/api/v1/chat/messages')).toBe('legacy');
  // The new side has no chat yet (404): every comparison differs.
  await rowOf('/api/v1/chat').locator('td.stats-shadow').filter({ hasText: /^1 \/ 1$/ }).waitFor({ timeout: 10_000 });
  await rowOf('/api/v1/chat').locator('button.mismatches').click();
  await page.locator('#mismatch-list .mismatch').first().waitFor();
  const text = await page.textContent('#mismatch-list');
  expect(text).toContain('GET /api/v1/chat/messages');
  expect(text).toContain('Served by legacy: 200');
  expect(text).toContain('Shadow new: 404');
  expect(text).not.toContain(token);
});
