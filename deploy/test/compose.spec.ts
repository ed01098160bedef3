// docker-compose.yml (+ docker-compose.prod.yml) as the real Compose parser resolves them:
// network tiers, health checks and healthy-gated start order, what is published, no secrets.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  BASE,
  Obj,
  PROD,
  ROOT,
  STORES,
  appServices,
  composeConfig,
  envExample,
  environmentOf,
  networksOf,
  peersOf,
  profilesOf,
  publishedPorts,
} from './compose-harness';

const GATEWAY = 'api-gateway';

describe('docker-compose.yml', () => {
  let config: Obj;
  let services: Obj;

  beforeAll(() => {
    const res = composeConfig([BASE]);
    if (res.status !== 0) throw new Error(`compose config failed: ${res.stderr}`);
    config = res.config!;
    services = config.services;
  });

  it('runs the infrastructure and every app in apps/', () => {
    for (const store of STORES) expect(services[store]).toBeDefined();
    expect(services.postgres.image).toMatch(/^postgres:16/);
    expect(services.mongo.image).toMatch(/^mongo:7/);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.rabbitmq.image).toMatch(/^rabbitmq:3-management/);
    expect(services.chroma.image).toMatch(/^chromadb\/chroma/);
    const apps = readdirSync(join(ROOT, 'apps')).filter((a) => existsSync(join(ROOT, 'apps', a, 'src/main.ts')));
    const composeApps = appServices(config).map(([name]) => name);
    expect(apps.filter((a) => !composeApps.includes(a))).toEqual([]);
    for (const [name, svc] of appServices(config)) {
      expect(svc.build.args.APP).toBe(name);
      expect(profilesOf(svc)).toEqual([]);
    }
  });

  it('keeps the data stores on the internal data network only', () => {
    expect(config.networks.data.internal).toBe(true);
    for (const store of STORES) {
      expect(networksOf(services[store])).toEqual(['data']);
      expect(publishedPorts(services[store])).toEqual([]);
    }
    for (const [name, svc] of Object.entries(services)) {
      if (networksOf(svc).includes('edge')) {
        // On the edge: the gateway, and profile-gated admin UIs that publish something.
        expect(name === GATEWAY || (profilesOf(svc).length > 0 && publishedPorts(svc).length > 0)).toBe(true);
      }
    }
  });

  it('puts apps on backend, and on data exactly when they use a store', () => {
    for (const [name, svc] of appServices(config)) {
      const usesStore = peersOf(environmentOf(svc)).some((h) => STORES.includes(h));
      const nets = networksOf(svc);
      expect(nets).toContain('backend');
      expect(nets.includes('data')).toBe(usesStore);
      expect(nets.includes('edge')).toBe(name === GATEWAY);
    }
  });

  it('gives every service a health check and gates start-up on service_healthy', () => {
    for (const [name, svc] of Object.entries(services) as [string, Obj][]) {
      expect({ name, test: svc.healthcheck?.test?.[0] }).toEqual({ name, test: expect.stringMatching(/^CMD(-SHELL)?$/) });
      expect(svc.healthcheck.disable).not.toBe(true);
      for (const [dep, d] of Object.entries(svc.depends_on ?? {}) as [string, Obj][]) {
        expect({ name, dep, condition: d.condition }).toEqual({ name, dep, condition: 'service_healthy' });
      }
    }
    // Apps wait for everything they connect to.
    for (const [name, svc] of appServices(config)) {
      const peers = peersOf(environmentOf(svc)).filter((h) => h in services);
      expect({ name, deps: Object.keys(svc.depends_on ?? {}).sort() }).toEqual({ name, deps: expect.arrayContaining(peers) });
      expect(svc.healthcheck.test.join(' ')).toMatch(/healthcheck\.js \/readyz/);
    }
  });

  it('publishes only the gateway, and admin UIs only behind a profile on loopback', () => {
    const published = Object.entries(services).filter(([, s]) => publishedPorts(s).length > 0);
    for (const [name, svc] of published) {
      if (name === GATEWAY) {
        expect(publishedPorts(svc).map((p) => p.target)).toEqual([8080]);
        expect(environmentOf(svc).HTTP_PORT).toBe('8080');
      } else {
        expect(profilesOf(svc).length).toBeGreaterThan(0);
        for (const p of publishedPorts(svc)) expect(p.hostIp).toBe('127.0.0.1');
      }
    }
    expect(published.map(([n]) => n)).toContain(GATEWAY);
    expect(published.map(([n]) => n)).toContain('rabbitmq-admin');
  });

  it('wires the gateway and services to their peers as the platform conventions say', () => {
    const gw = environmentOf(services[GATEWAY]);
    expect(gw.SECURITY_GRPC_URL).toBe('security:50051');
    expect(gw.TASK_MANAGER_GRPC_URL).toBe('task-manager:50051');
    expect(gw.ANALYTICS_GRPC_URL).toBe('analytics:50051');
    for (const [name, svc] of appServices(config)) {
      if (name === 'security') continue;
      expect(environmentOf(svc).AUTH_JWKS_URL).toBe('http://security:9090/.well-known/jwks.json');
    }
    const pg = environmentOf(services.postgres).POSTGRES_DATABASES.split(',');
    for (const [, svc] of appServices(config)) {
      const url = environmentOf(svc).DATABASE_URL;
      if (url) expect(pg).toContain(new URL(url).pathname.slice(1));
    }
    expect(services.postgres.volumes.join(' ')).toContain('/docker-entrypoint-initdb.d/');
  });

  it('keeps secrets out of the compose files: every credential comes from .env', () => {
    for (const file of [BASE, PROD]) {
      const raw = parseYaml(readFileSync(file, 'utf8'), { merge: true }) as Obj;
      for (const [name, svc] of Object.entries(raw.services) as [string, Obj][]) {
        for (const [k, v] of Object.entries(svc.environment ?? {})) {
          const value = String(v ?? '');
          if (/PASSWORD|PRIVATE_KEY|SECRET|_PASS$/.test(k)) expect({ name, k, value }).toEqual({ name, k, value: expect.stringMatching(/^\$\{/) });
          if (/:\/\/[^/]*@/.test(value)) expect({ name, k, value }).toEqual({ name, k, value: expect.stringMatching(/:\/\/[^/]*\$\{[A-Z_]+\}@/) });
        }
      }
    }
  });

  it('documents every variable the compose files use in .env.example', () => {
    const defined = envExample();
    const used = new Set<string>();
    for (const file of [BASE, PROD]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)) used.add(m[1]);
    }
    expect([...used].filter((v) => !(v in defined)).sort()).toEqual([]);
    // .env.example holds placeholders, never a real key.
    expect(defined.JWT_PRIVATE_KEY).toBe('');
    for (const [k, v] of Object.entries(defined)) if (/PASSWORD/.test(k) && v) expect(v).toMatch(/^change-me/);
  });

  it('scrapes every app in the Prometheus configuration', () => {
    const prom = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as Obj;
    const targets = prom.scrape_configs.flatMap((j: Obj) => j.static_configs.flatMap((s: Obj) => s.targets));
    for (const [name, svc] of appServices(config)) {
      expect(targets).toContain(`${name}:${environmentOf(svc).HTTP_PORT ?? '9090'}`);
    }
  });
});

describe('docker-compose.prod.yml override', () => {
  it('refuses to start production without JWT_PRIVATE_KEY', () => {
    const res = composeConfig([BASE, PROD]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('JWT_PRIVATE_KEY');
  });

  it('adds limits, restart policies and read-only apps, and publishes nothing new', () => {
    const res = composeConfig([BASE, PROD], { JWT_PRIVATE_KEY: 'test-placeholder' });
    if (res.status !== 0) throw new Error(res.stderr);
    const services = res.config!.services as Obj;
    for (const [name, svc] of Object.entries(services) as [string, Obj][]) {
      if (profilesOf(svc).length > 0) continue; // dev-only extras, not enabled in production
      expect({ name, restart: svc.restart }).toEqual({ name, restart: 'always' });
      expect(svc.deploy?.resources?.limits?.memory).toBeDefined();
      expect(svc.deploy?.resources?.limits?.cpus).toBeDefined();
      expect(svc.security_opt).toContain('no-new-privileges:true');
      if (name !== GATEWAY) expect(publishedPorts(svc)).toEqual([]);
    }
    for (const [name, svc] of appServices(res.config!)) {
      expect({ name, read_only: svc.read_only }).toEqual({ name, read_only: true });
      expect(svc.tmpfs.join(' ')).toMatch(/^\/tmp/);
      expect(svc.cap_drop).toEqual(['ALL']);
      expect(environmentOf(svc).NODE_ENV).toBe('production');
    }
    expect(publishedPorts(services[GATEWAY]).map((p) => p.target)).toEqual([8080]);
  });
});

describe('Grafana dashboard', () => {
  it('queries the RED metrics the service kit exports', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/aether-red.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: Obj) => (p.targets ?? []).map((t: Obj) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(6);
    const kit = readFileSync(join(ROOT, 'libs/service-kit/src/metrics/metrics.service.ts'), 'utf8');
    const metrics = new Set(exprs.flatMap((e) => [...e.matchAll(/([a-z_]+)_(?:count|bucket|sum)\{/g)].map((m) => m[1])));
    expect(metrics.size).toBeGreaterThanOrEqual(2);
    for (const m of metrics) expect(kit).toContain(`'${m}'`);
    const ds = parseYaml(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as Obj;
    for (const p of dashboard.panels) if (p.datasource) expect(p.datasource.uid).toBe(ds.datasources[0].uid);
  });
});
