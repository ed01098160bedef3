// integration-hub in-process on real stores (PostgreSQL, RabbitMQ): it starts and is ready, and
// connection secrets survive a key rotation (re-sealed under the new key by the background job).
import { createTempDatabase, createTempVhost, startTestService, type TempResource, type TestService, TestIdentities } from '@aether/testing';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { ConnectionsService } from '../src/connections/connections.service';
import { DeliveriesService } from '../src/deliveries/deliveries.service';
import { RulesService } from '../src/rules/rules.service';
import { integrationHubService } from '../src/service';

const OLD_KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const NEW_KEY = `k2:${Buffer.alloc(32, 9).toString('base64')}`;

describe('integration-hub service', () => {
  let identities: TestIdentities;
  let store: TempResource;
  let vhost: TempResource;
  let service: TestService | undefined;

  const start = (keys: string, extra: Record<string, string> = { DELIVERY_WORKER_ENABLED: 'false' }) =>
    startTestService(integrationHubService, {
      env: { AUTH_JWKS_URL: identities.jwksUrl, DATABASE_URL: store.url, RABBITMQ_URL: vhost.url, INTEGRATION_HUB_SECRET_KEYS: keys, ...extra },
    });

  beforeAll(async () => {
    identities = await new TestIdentities().start();
    [store, vhost] = await Promise.all([createTempDatabase('integration_hub'), createTempVhost('integration_hub')]);
  });

  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  afterAll(async () => {
    await Promise.allSettled([store?.drop(), vhost?.drop()]);
    await identities?.stop();
  });

  it('is ready once its stores answer', async () => {
    service = await start(OLD_KEY);
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(200);
  });

  it('re-seals secrets under the new first key of the ring, and still opens them', async () => {
    service = await start(OLD_KEY);
    const { connection } = await service.get(ConnectionsService).create({
      kind: 'github', name: 'rotate me', configJson: '{}', secrets: { webhookSecret: 'rotate-this-secret', token: 'ghp_rotate' },
    });
    expect(connection.secretsKeyId).toBe('k1');
    await service.close();

    service = await start(`${NEW_KEY},${OLD_KEY}`);
    const connections = service.get(ConnectionsService);
    // The job runs once at start-up (after 1 s); a direct batch makes the test independent of it.
    await connections.resealBatch();
    const rows: { secrets_key_id: string; secrets_box: string }[] = await service.get(DataSource).query(`SELECT secrets_key_id, secrets_box FROM connections WHERE id = $1`, [connection.id]);
    expect(rows[0].secrets_key_id).toBe('k2');
    expect(rows[0].secrets_box).not.toContain('rotate-this-secret');
    expect(connections.secretsOf(await connections.get(connection.id))).toEqual({ webhookSecret: 'rotate-this-secret', token: 'ghp_rotate' });
    expect(await connections.resealBatch()).toBe(0);
  });

  it("opens a connection's circuit after repeated failures: its deliveries wait, spending no attempts, then one probe", async () => {
    const hits: Record<string, number[]> = { '/down': [], '/up': [] };
    const target: Server = createServer((req, res) => {
      hits[req.url ?? '']?.push(Date.now());
      res.writeHead(req.url === '/down' ? 500 : 200).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    try {
      service = await start(OLD_KEY, {
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1', DELIVERY_RETRY_DELAYS_MS: '50', DELIVERY_MAX_ATTEMPTS: '20',
        DELIVERY_BREAKER_THRESHOLD: '3', DELIVERY_BREAKER_COOLDOWN_MS: '1500', DELIVERY_POLL_INTERVAL_MS: '50',
      });
      const connections = service.get(ConnectionsService);
      const rules = service.get(RulesService);
      const down = (await connections.create({ kind: 'webhook', name: 'down', configJson: JSON.stringify({ url: `${base}/down` }), secrets: {} })).connection;
      const up = (await connections.create({ kind: 'webhook', name: 'up', configJson: JSON.stringify({ url: `${base}/up` }), secrets: {} })).connection;
      await rules.create({ name: 'down', on: 'test.breaker.*', action: { kind: 'webhook', connectionId: down.id, paramsJson: '{}' }, filterJson: '' });
      await rules.create({ name: 'up', on: 'test.breaker.*', action: { kind: 'webhook', connectionId: up.id, paramsJson: '{}' }, filterJson: '' });
      await service.get(DeliveriesService).createFor({ id: randomUUID(), type: 'test.breaker.fired', source: 'test', specversion: '1.0', data: {} } as never);
      await new Promise((r) => setTimeout(r, 1000));
      // Three failures opened the circuit: no fourth attempt during the cooldown; the other connection delivered.
      expect(hits['/down']).toHaveLength(3);
      expect(hits['/up']).toHaveLength(1);
      const [row]: { attempts: number; status: string }[] = await service.get(DataSource).query(`SELECT attempts, status FROM deliveries WHERE connection_id = $1`, [down.id]);
      expect(row).toEqual({ attempts: 3, status: 'failed' });
      await new Promise((r) => setTimeout(r, 1000));
      // After the cooldown: one probe (it fails, so the circuit opens again).
      expect(hits['/down']).toHaveLength(4);
      expect(hits['/down'][3] - hits['/down'][2]).toBeGreaterThanOrEqual(1400);
    } finally {
      await service?.close();
      service = undefined;
      target.closeAllConnections();
      await new Promise((r) => target.close(r));
    }
  });
});
