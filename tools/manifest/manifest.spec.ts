// services.yaml is the one list of services: every derived file matches it, every app is in it,
// and what it derives for a service (start line, compose block, scrape target, Helm entry, bench
// spec) follows from the entry.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { staleFiles } from './generate';
import { MANIFEST_FILE, WORKSPACE_ROOT, loadManifest, parseManifest, startOrder } from './manifest';
import { applyRegion, renderFiles } from './render';

const manifestText = () => readFileSync(join(WORKSPACE_ROOT, MANIFEST_FILE), 'utf8');

describe('services manifest', () => {
  it('every file derived from services.yaml is up to date (run `npm run manifest:gen`)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('lists every app under apps/, and only those', () => {
    const apps = readdirSync(join(WORKSPACE_ROOT, 'apps'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const listed = loadManifest().services.map((s) => s.name).sort();
    expect(listed).toEqual(apps);
    for (const app of apps) expect(existsSync(join(WORKSPACE_ROOT, 'apps', app, 'src/main.ts'))).toBe(true);
  });

  it('starts the token issuer first and every caller after the peers it calls', () => {
    const manifest = loadManifest();
    const order = startOrder(manifest).map((s) => s.name);
    expect(order[0]).toBe(manifest.services.find((s) => s.issuer)!.name);
    for (const s of manifest.services) for (const peer of s.calls) expect(order.indexOf(peer)).toBeLessThan(order.indexOf(s.name));
  });

  it('does not give analytics a Redis (it never uses one)', () => {
    const analytics = loadManifest().services.find((s) => s.name === 'analytics')!;
    expect(analytics.stores).not.toContain('redis');
    const compose = parseYaml(readFileSync(join(WORKSPACE_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
    expect(compose.services.analytics.environment.REDIS_URL).toBeUndefined();
    expect(Object.keys(compose.services.analytics.depends_on)).not.toContain('redis');
  });

  it('derives every place a new service must appear from one entry', () => {
    const text = `${manifestText()}
  report-hub:
    ports: { grpc: 50099, http: 9199 }
    auth: true
    calls: [security]
    stores: [postgres, rabbitmq]
`;
    const files = renderFiles(parseManifest(text), WORKSPACE_ROOT);
    const dev = files.get('scripts/dev.sh')!;
    expect(dev).toMatch(/start report-hub 9199 \\\n\s+GRPC_PORT=50099 \\\n\s+DATABASE_URL="\$\{REPORT_HUB_DATABASE_URL:-\$PG_URL\/aether_report_hub\}"/);
    expect(dev).toMatch(/^postgres_databases=\(aether_security .*\baether_report_hub\)$/m);
    expect(dev.indexOf('start report-hub')).toBeGreaterThan(dev.indexOf('start security'));

    const compose = parseYaml(files.get('docker-compose.yml')!, { merge: true });
    const block = compose.services['report-hub'];
    expect(block.build.args.APP).toBe('report-hub');
    expect(block.environment.DATABASE_URL).toBe('postgres://${POSTGRES_USER:-aether}:${POSTGRES_PASSWORD}@postgres:5432/report_hub');
    expect(block.environment.SECURITY_GRPC_URL).toBe('security:50051');
    expect(block.environment.AUTH_JWKS_URL).toBe('http://security:9090/.well-known/jwks.json');
    expect(Object.keys(block.depends_on).sort()).toEqual(['postgres', 'rabbitmq', 'security']);
    expect(block.networks).toEqual(['backend', 'data']);
    expect(compose.services.postgres.environment.POSTGRES_DATABASES.split(',')).toEqual(expect.arrayContaining(['security', 'task_manager', 'report_hub']));
    expect(parseYaml(files.get('docker-compose.prod.yml')!, { merge: true }).services['report-hub'].read_only).toBe(true);

    const prom = parseYaml(files.get('deploy/prometheus/prometheus.yml')!);
    expect(prom.scrape_configs[0].static_configs.map((c: any) => c.targets[0])).toContain('report-hub:9090');

    const helm = parseYaml(files.get('helm/aether/values.yaml')!).services['report-hub'];
    expect(helm).toEqual({
      auth: true,
      calls: ['security'],
      stores: { postgres: { existingSecret: 'aether-report-hub-postgres' }, rabbitmq: {} },
      migrations: { enabled: true },
    });
    expect(files.get('bench/support/platform.ts')).toContain(
      "'report-hub': { grpcUrlEnv: 'REPORT_HUB_GRPC_URL', stores: ['postgres', 'rabbitmq'], auth: true, issuer: false, calls: ['security'] },",
    );
  });

  it.each([
    ['an unknown store', 'stores: [cassandra]', /unknown store "cassandra"/],
    ['a call to an unknown service', 'calls: [nope]', /unknown service "nope"/],
    ['a call to a service without gRPC', 'calls: [api-gateway]', /"api-gateway" has no gRPC server/],
    ['an unknown key', 'replicas: 3', /replicas: unknown key/],
    ['a mounted file at a relative path', 'files: { config.yaml: apps/x.yaml }', /files\.config\.yaml: not an absolute file path/],
    ['a mounted file from outside the workspace', "files: { /app/x.yaml: '../etc/passwd' }", /expected a workspace-relative file/],
    ['a second token issuer', 'issuer: true', /exactly one service must be the token issuer/],
  ])('refuses %s', (_what, extra, message) => {
    const text = `${manifestText()}
  broken:
    ports: { grpc: 50098, http: 9198 }
    ${extra}
`;
    expect(() => parseManifest(text)).toThrow(message);
  });

  it('refuses a port used twice', () => {
    expect(() => parseManifest(`${manifestText()}\n  twin:\n    ports: { http: 9101 }\n`)).toThrow(/9101 is already used by security/);
  });

  it('refuses to render into a file whose markers are gone', () => {
    expect(() => applyRegion('no markers here', { file: 'x.yml', id: 'apps', comment: '#', body: '' })).toThrow(/markers of generated region "apps" are missing/);
  });
});
