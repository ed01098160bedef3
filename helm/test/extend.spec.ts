// Changing the platform through values only: adding, disabling and tuning a service, and the
// values the chart refuses (secrets in plain env, unknown peers, missing Secret names).
import { Obj, byKind, effectiveServices, find, loadValues, templateChart, tempValues, validateObject, K8sObject } from './chart-harness';

// The platform as values.yaml (generated from services.yaml) has it, so a new service keeps these true.
const platform = loadValues([]);
const services = effectiveServices(platform);

function renderWith(values: Obj): { status: number; stderr: string; objects: K8sObject[] } {
  const tmp = tempValues(values);
  try {
    return templateChart([tmp.file]);
  } finally {
    tmp.cleanup();
  }
}

const egressPeers = (policy: K8sObject): string[] =>
  policy.spec.egress.flatMap((r: Obj) => (r.to ?? []).map((p: Obj) => p.podSelector?.matchLabels?.['app.kubernetes.io/name']).filter(Boolean));

describe('extending the chart through values', () => {
  it('adds a complete service from a few lines of values, wired into the call graph', () => {
    const res = renderWith({
      services: {
        rag: {
          auth: true,
          stores: { postgres: { existingSecret: 'aether-rag-postgres' }, chroma: {}, rabbitmq: {} },
          migrations: { enabled: true },
        },
        'api-gateway': { calls: [...new Set([...services.get('api-gateway')!.calls, 'rag'])] },
      },
    });
    expect(res.stderr).toBe('');
    for (const obj of res.objects) validateObject(obj);
    for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']) {
      expect(find(res.objects, kind, 'rag')).toBeDefined();
    }
    expect(find(res.objects, 'Job', 'rag-migrate')).toBeDefined();
    expect(find(res.objects, 'ConfigMap', 'api-gateway-env')!.data.RAG_GRPC_URL).toBe('rag:50051');
    expect(find(res.objects, 'ConfigMap', 'rag-env')!.data.AUTH_JWKS_URL).toBe('http://security:9090/.well-known/jwks.json');

    const ragPolicy = find(res.objects, 'NetworkPolicy', 'rag')!;
    const grpcRule = ragPolicy.spec.ingress.find((r: Obj) => r.ports.some((p: Obj) => p.port === 'grpc'));
    expect(grpcRule.from.map((p: Obj) => p.podSelector.matchLabels['app.kubernetes.io/name'])).toEqual(['api-gateway']);
    const storePorts = ragPolicy.spec.egress.find((r: Obj) => r.to?.[0]?.ipBlock).ports.map((p: Obj) => p.port);
    expect(storePorts.sort()).toEqual([5432, 5671, 5672].sort());
    // Chroma runs in the release (chroma.enabled): reached at its pods, not through storeCidrs.
    expect(egressPeers(ragPolicy)).toContain('chroma');
    expect(find(res.objects, 'ConfigMap', 'rag-env')!.data.CHROMA_URL).toBe('http://chroma:8000');
    expect(egressPeers(find(res.objects, 'NetworkPolicy', 'api-gateway')!)).toContain('rag');
    // The issuer now also serves the JWKS to rag.
    const securityPolicy = find(res.objects, 'NetworkPolicy', 'security')!;
    const httpPeers = securityPolicy.spec.ingress
      .filter((r: Obj) => r.ports.some((p: Obj) => p.port === 'http'))
      .flatMap((r: Obj) => (r.from ?? []).map((p: Obj) => p.podSelector?.matchLabels?.['app.kubernetes.io/name']))
      .filter(Boolean);
    const verifiers = [...services.values()].filter((svc) => svc.auth && svc.name !== platform.global.auth.issuerService).map((svc) => svc.name);
    expect(httpPeers.sort()).toEqual([...new Set([...verifiers, 'rag'])].sort());
  });

  it('uses an external Chroma when chroma.enabled is false: no Chroma objects, rag reads CHROMA_URL from the named Secret and reaches it through storeCidrs', () => {
    const res = renderWith({ chroma: { enabled: false } });
    expect(res.stderr).toBe('');
    expect(res.objects.filter((o) => o.metadata.name === 'chroma')).toEqual([]);
    expect(find(res.objects, 'ConfigMap', 'rag-env')!.data.CHROMA_URL).toBeUndefined();
    const env = find(res.objects, 'Deployment', 'rag')!.spec.template.spec.containers[0].env;
    expect(env.find((e: Obj) => e.name === 'CHROMA_URL').valueFrom.secretKeyRef).toEqual({ name: platform.global.stores.chroma.existingSecret, key: 'url' });
    const ragPolicy = find(res.objects, 'NetworkPolicy', 'rag')!;
    expect(egressPeers(ragPolicy)).not.toContain('chroma');
    const storePorts = ragPolicy.spec.egress.find((r: Obj) => r.to?.[0]?.ipBlock).ports.map((p: Obj) => p.port);
    expect(storePorts).toEqual(expect.arrayContaining(platform.global.stores.chroma.ports));
  });

  it('drops a disabled service and every edge to it', () => {
    const res = renderWith({ services: { analytics: { enabled: false } } });
    expect(res.status).toBe(0);
    expect(res.objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'analytics')).toEqual([]);
    expect(find(res.objects, 'ConfigMap', 'api-gateway-env')!.data.ANALYTICS_GRPC_URL).toBeUndefined();
    expect(egressPeers(find(res.objects, 'NetworkPolicy', 'api-gateway')!)).not.toContain('analytics');
  });

  it('lets one service switch a default off (autoscaling) and keep a fixed replica count', () => {
    const res = renderWith({ services: { 'task-manager': { autoscaling: { enabled: false }, replicas: 3 } } });
    expect(res.status).toBe(0);
    expect(find(res.objects, 'HorizontalPodAutoscaler', 'task-manager')).toBeUndefined();
    expect(find(res.objects, 'Deployment', 'task-manager')!.spec.replicas).toBe(3);
    expect(find(res.objects, 'HorizontalPodAutoscaler', 'security')).toBeDefined();
    expect(find(res.objects, 'PodDisruptionBudget', 'task-manager')).toBeDefined();
  });

  it('prefixes every name, and the peer URLs follow', () => {
    const res = renderWith({ global: { namePrefix: 'aether-' } });
    expect(res.status).toBe(0);
    expect(byKind(res.objects, 'Deployment').map((d) => d.metadata.name).sort()).toEqual([...services.keys()].map((n) => `aether-${n}`).sort());
    const env = find(res.objects, 'ConfigMap', 'aether-api-gateway-env')!.data;
    expect(env.SECURITY_GRPC_URL).toBe('aether-security:50051');
    expect(env.AUTH_JWKS_URL).toBe('http://aether-security:9090/.well-known/jwks.json');
  });

  it.each([
    ['a secret in plain env', { services: { security: { env: { ADMIN_PASSWORD: 'hunter2hunter2' } } } }, /ADMIN_PASSWORD/],
    ['a store URL in plain env', { services: { analytics: { env: { MONGODB_URL: 'mongodb://u:p@h/db' } } } }, /MONGODB_URL/],
    ['a secretEnv entry without a key', { services: { security: { secretEnv: { SMTP_PASSWORD: { secret: 'aether-smtp' } } } } }, /key/],
    ['a call to an unknown service', { services: { 'api-gateway': { calls: ['security', 'nope'] } } }, /unknown service "nope"/],
    ['a call to a service without gRPC', { services: { security: { calls: ['api-gateway'] } } }, /has no gRPC server/],
    ['a PostgreSQL store without its Secret', { services: { 'task-manager': { stores: { postgres: { existingSecret: '' } } } } }, /stores\.postgres\.existingSecret/],
    ['an unknown store', { services: { analytics: { stores: { cassandra: {} } } } }, /unknown store "cassandra"/],
    ['a root user', { defaults: { securityContext: { runAsUser: 0 } } }, /runAsUser/],
  ])('refuses %s', (_what, values, message) => {
    const res = renderWith(values);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(message);
  });
});
