/**
 * The Kubernetes backend against a real API server (etcd, kube-apiserver, controller-manager,
 * scheduler; kwok runs the pods' lifecycles but no containers), through api-gateway →
 * docker-manager processes from dist/ (run `bash scripts/build.sh` first). docker-manager
 * authenticates as the chart's own ServiceAccount with the chart's Role — so every call below
 * also proves that Role is enough — and `kubectl auth can-i` proves it is not more.
 * kwok runs no containers: there are no logs and no metrics-server, so those answer a clean 503.
 */
import * as amqp from 'amqplib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  createTempVhost,
  startApp,
  startKubeControlPlane,
  TestIdentities,
  uniqueName,
  waitFor,
  type KubeControlPlane,
  type StartedApp,
  type TempResource,
  type TestUser,
} from '@aether/testing';
import { templateChart } from '../../../helm/test/chart-harness';

jest.setTimeout(240_000);

const NS = 'aether'; // the namespace the chart harness renders the release into
const SA = `system:serviceaccount:${NS}:docker-manager`;
const identities = new TestIdentities();
let plane: KubeControlPlane;
let vhost: TempResource;
let amqpConn: amqp.ChannelModel;
let dockerManager: StartedApp | undefined;
let gateway: StartedApp | undefined;
let admin: TestUser;
let developer: TestUser;
const events: Array<{ type: string; subject?: string; data: any }> = [];

function deployment(name: string, podLabels: Record<string, string>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...podLabels } },
        spec: {
          containers: [{ name: 'main', image: 'example.invalid/app:1', ports: [{ containerPort: 8080 }], resources: { limits: { memory: '128Mi' } } }],
        },
      },
    },
  };
}

const apply = async (objects: object[]) => {
  const res = await plane.kubectl(['apply', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') });
  if (res.status !== 0) throw new Error(`kubectl apply failed: ${res.stderr}`);
};

/** What the API server's authorizer answers for the ServiceAccount (a SubjectAccessReview, as `kubectl auth can-i --as` sends). */
const canI = async (verb: string, resource: string, namespace = NS, sub?: string) => {
  const [name, ...group] = resource.split('.');
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: SA,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
      resourceAttributes: { verb, group: group.join('.'), resource: name, namespace, ...(sub ? { subresource: sub } : {}) },
    },
  };
  const res = await plane.kubectl(['create', '-f', '-', '-o', 'json'], { input: JSON.stringify(review) });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout).status.allowed === true;
};

async function call(user: TestUser, method: string, path: string) {
  const res = await fetch(gateway!.httpUrl + path, { method, headers: user.bearer() });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  [plane, vhost] = await Promise.all([startKubeControlPlane({ nodes: [{ name: 'kwok-a', zone: 'zone-a' }] }), createTempVhost('dm_kube'), identities.start()]);
  await plane.kubectl(['create', 'namespace', NS]);
  await plane.kubectl(['create', 'namespace', 'elsewhere']);
  // The chart's own ServiceAccount, Role and RoleBinding of docker-manager.
  const rendered = templateChart([]);
  if (rendered.status !== 0) throw new Error(rendered.stderr);
  const rbac = rendered.objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind) && o.metadata.name === 'docker-manager');
  expect(rbac.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
  await apply(rbac.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: NS } })));
  await apply([
    deployment('web', { 'aether.managed': 'true', tier: 'front' }),
    deployment('api', { 'aether.managed': 'true', tier: 'back' }),
    deployment('secret-thing', {}),
    deployment('not-quite', { 'aether.managed': 'false' }),
  ]);
  await waitFor(
    async () => {
      const pods = await plane.kubectlJson(['get', 'pods', '-n', NS]);
      return pods.items.length === 4 && pods.items.every((p: any) => p.status.phase === 'Running');
    },
    { timeoutMs: 60_000, intervalMs: 500, what: 'the pods to run' },
  );

  // A kubeconfig holding the ServiceAccount's token: docker-manager has exactly the chart's rights.
  const token = await plane.kubectl(['create', 'token', 'docker-manager', '-n', NS, '--duration=1h']);
  if (token.status !== 0) throw new Error(token.stderr);
  const planeConfig = await plane.kubectlJson(['config', 'view', '--raw']);
  const saConfig = join(plane.dir, 'docker-manager.kubeconfig');
  writeFileSync(
    saConfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: planeConfig.clusters[0].cluster }],
      users: [{ name: 'docker-manager', user: { token: token.stdout.trim() } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'docker-manager', namespace: NS } }],
      'current-context': 'test',
    }),
  );

  amqpConn = await amqp.connect(vhost.url);
  const ch = await amqpConn.createChannel();
  await ch.assertExchange('aether.events', 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, 'aether.events', 'docker-manager.#');
  await ch.consume(queue, (m) => m && events.push((({ type, subject, data }) => ({ type, subject, data }))(JSON.parse(m.content.toString()))), { noAck: true });

  dockerManager = await startApp('docker-manager', {
    CONTAINER_BACKEND: 'kubernetes',
    KUBECONFIG: saConfig,
    K8S_NAMESPACE: NS,
    RABBITMQ_URL: vhost.url,
    AUTH_JWKS_URL: identities.jwksUrl,
  });
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `${uniqueName('gw_kube')}:`,
    AUTH_JWKS_URL: identities.jwksUrl,
    DOCKER_MANAGER_GRPC_URL: dockerManager.grpcAddress,
  });
  [admin, developer] = await Promise.all([identities.user('admin'), identities.user('developer')]);
});

afterAll(async () => {
  await gateway?.stop(5000);
  await dockerManager?.stop(5000);
  await amqpConn?.close().catch(() => undefined);
  await Promise.allSettled([plane?.stop(), vhost?.drop(), identities.stop()]);
});

describe('the chart’s Role', () => {
  it('grants exactly reading pods and logs, patching Deployments (and pod metrics) in its namespace', async () => {
    for (const [verb, resource, sub] of [
      ['list', 'pods'],
      ['watch', 'pods'],
      ['get', 'pods'],
      ['get', 'pods', 'log'],
      ['patch', 'deployments.apps'],
      ['get', 'pods.metrics.k8s.io'],
    ] as const) {
      expect({ verb, resource, sub, allowed: await canI(verb, resource, NS, sub) }).toEqual({ verb, resource, sub, allowed: true });
    }
    for (const [verb, resource, ns, sub] of [
      ['delete', 'pods', NS],
      ['create', 'pods', NS],
      ['create', 'pods', NS, 'exec'],
      ['get', 'secrets', NS],
      ['list', 'configmaps', NS],
      ['get', 'deployments.apps', NS],
      ['update', 'deployments.apps', NS],
      ['delete', 'deployments.apps', NS],
      ['patch', 'deployments.apps', NS, 'scale'],
      ['list', 'pods', 'elsewhere'],
      ['patch', 'deployments.apps', 'elsewhere'],
      ['list', 'nodes', ''],
    ] as const) {
      expect({ verb, resource, ns, sub, allowed: await canI(verb, resource, ns, sub) }).toEqual({ verb, resource, ns, sub, allowed: false });
    }
  });
});

describe('pods as containers', () => {
  it('lists only the labelled pods of the namespace, and filters by label and state', async () => {
    const res = await call(admin, 'GET', '/api/v1/containers');
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: any) => c.labels.app).sort()).toEqual(['api', 'web']);
    const web = res.body.items.find((c: any) => c.labels.app === 'web');
    expect(web).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: expect.stringMatching(/^web-/), image: 'example.invalid/app:1', state: 'running' });
    const front = await call(admin, 'GET', '/api/v1/containers?label=tier=front');
    expect(front.body.items.map((c: any) => c.labels.app)).toEqual(['web']);
    expect((await call(admin, 'GET', '/api/v1/containers?status=exited')).body.items).toEqual([]);
  });

  it('answers 404 for a pod without the label, by uid or name, exactly as for none', async () => {
    const pods = await plane.kubectlJson(['get', 'pods', '-n', NS]);
    const hidden = pods.items.filter((p: any) => ['secret-thing', 'not-quite'].includes(p.metadata.labels.app));
    const none = await call(admin, 'GET', '/api/v1/containers/no-such-pod');
    expect(none.status).toBe(404);
    for (const p of hidden) {
      for (const ref of [p.metadata.uid, p.metadata.name]) {
        for (const [method, suffix] of [['GET', ''], ['GET', '/logs'], ['GET', '/stats'], ['POST', '/restart']]) {
          const res = await call(admin, method, `/api/v1/containers/${ref}${suffix}`);
          expect({ ref, suffix, status: res.status }).toEqual({ ref, suffix, status: 404 });
          expect({ ...res.body, requestId: '' }).toEqual({ ...none.body, requestId: '' });
        }
      }
    }
  });

  it('restarts through a rollout restart of the owning Deployment (admin only), audited and published', async () => {
    const list = await call(admin, 'GET', '/api/v1/containers?label=app=web');
    const pod = list.body.items[0];
    expect((await call(developer, 'POST', `/api/v1/containers/${pod.id}/restart`)).status).toBe(403);
    const before = await plane.kubectlJson(['get', 'deployment', 'web', '-n', NS]);
    expect(before.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();

    const res = await call(admin, 'POST', `/api/v1/containers/${pod.name}/restart`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(pod.id);
    const after = await plane.kubectlJson(['get', 'deployment', 'web', '-n', NS]);
    const restartedAt = after.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(Date.parse(restartedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Only the template annotation changed: the rest of the Deployment is as it was.
    expect(after.spec.replicas).toBe(1);
    expect(after.spec.template.spec.containers[0].image).toBe('example.invalid/app:1');
    const other = await plane.kubectlJson(['get', 'deployment', 'api', '-n', NS]);
    expect(other.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();

    await waitFor(() => events.some((e) => e.type === 'docker-manager.container.action_audited' && e.data.action === 'restart'), { timeoutMs: 5000, what: 'the audit event' });
    const audit = events.find((e) => e.type === 'docker-manager.container.action_audited')!;
    expect(audit).toMatchObject({ subject: admin.id, data: { containerId: pod.id, containerName: pod.name, action: 'restart', outcome: 'changed' } });
    expect(events.find((e) => e.type === 'docker-manager.container.restarted')).toMatchObject({ subject: admin.id, data: { origin: 'api' } });

    // The controller rolls a new pod; the pod watch publishes it as started by the engine.
    const started = await waitFor(
      () => events.find((e) => e.type === 'docker-manager.container.started' && e.data.origin === 'engine' && e.data.container?.labels?.app === 'web' && e.data.container.id !== pod.id),
      { timeoutMs: 60_000, intervalMs: 250, what: 'the new pod to be published as started' },
    );
    expect(started.subject).toBeUndefined();
  });

  it('answers start of a running pod as unchanged, and stop as not supported (409)', async () => {
    const [pod] = (await call(admin, 'GET', '/api/v1/containers?label=app=api')).body.items;
    const start = await call(admin, 'POST', `/api/v1/containers/${pod.id}/start`);
    expect(start.status).toBe(200);
    expect(start.body.state).toBe('running');
    const stop = await call(admin, 'POST', `/api/v1/containers/${pod.id}/stop`);
    expect(stop.status).toBe(409);
    expect(stop.body.code).toBe('NOT_SUPPORTED');
    // A failed action is audited with its error code.
    const failed = await waitFor(() => events.find((e) => e.type === 'docker-manager.container.action_audited' && e.data.action === 'stop'), { timeoutMs: 5000, what: 'the failed stop audit' });
    expect(failed).toMatchObject({ subject: admin.id, data: { containerId: pod.id, outcome: 'failed', errorCode: 'NOT_SUPPORTED' } });
    expect(events.find((e) => e.type === 'docker-manager.container.action_audited' && e.data.action === 'start')?.data.outcome).toBe('unchanged');
  });

  it('answers logs and stats that this cluster cannot give with a clean 503, never a 500', async () => {
    const [pod] = (await call(admin, 'GET', '/api/v1/containers?label=app=api')).body.items;
    const logs = await call(admin, 'GET', `/api/v1/containers/${pod.id}/logs?tail=5`);
    expect(logs.status).toBe(503);
    expect(logs.body.code).toBe('LOGS_UNAVAILABLE');
    const stats = await call(admin, 'GET', `/api/v1/containers/${pod.id}/stats`);
    expect(stats.status).toBe(503);
    expect(stats.body.code).toBe('METRICS_UNAVAILABLE');
  });
});
