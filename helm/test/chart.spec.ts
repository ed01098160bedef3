// The umbrella chart, rendered by the real helm for the default, EKS and GKE values: lint,
// Kubernetes API schema validation of every object, and the invariants the platform relies on.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHART,
  Effective,
  K8sObject,
  Obj,
  ROOT,
  byKind,
  effectiveServices,
  existingSecretNames,
  find,
  lintChart,
  loadValues,
  podSpecs,
  renderChart,
  renderNotes,
  selects,
  validateObject,
} from './chart-harness';

const PROFILES: [string, string[]][] = [
  ['default', []],
  ['eks', [join(CHART, 'values-eks.yaml')]],
  ['gke', [join(CHART, 'values-gke.yaml')]],
];

const NAME = 'app.kubernetes.io/name';

describe.each(PROFILES)('helm chart with %s values', (_profile, files) => {
  let objects: K8sObject[];
  let values: Obj;
  let services: Map<string, Effective>;
  let ports: { grpc: number; http: number };

  beforeAll(() => {
    objects = renderChart(files);
    values = loadValues(files);
    services = effectiveServices(values);
    ports = values.global.ports;
  }, 20 * 60_000);

  it('passes helm lint --strict', () => {
    const res = lintChart(files);
    expect(res.output).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(res.status).toBe(0);
  });

  it('renders only objects that are valid against the Kubernetes API schema', () => {
    expect(objects.length).toBeGreaterThan(10);
    const errors: string[] = [];
    for (const obj of objects) {
      try {
        validateObject(obj);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    expect(errors).toEqual([]);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('renders every enabled service through the shared template', () => {
    for (const [name, svc] of services) {
      for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'PodDisruptionBudget', 'NetworkPolicy']) {
        expect(find(objects, kind, name)).toBeDefined();
      }
      expect(find(objects, 'ConfigMap', `${name}-env`)).toBeDefined();
      expect(find(objects, 'HorizontalPodAutoscaler', name) !== undefined).toBe(svc.autoscaling.enabled === true);
      expect(find(objects, 'ServiceMonitor', name) !== undefined).toBe(svc.serviceMonitor.enabled === true);
      const service = find(objects, 'Service', name)!;
      const expectedPorts = svc.grpc ? [['grpc', ports.grpc], ['http', ports.http]] : [['http', ports.http]];
      expect(service.spec.ports.map((p: Obj) => [p.name, p.port])).toEqual(expectedPorts);
    }
    expect(byKind(objects, 'Deployment').map((d) => d.metadata.name).sort()).toEqual([...services.keys()].sort());
  });

  it('gives every Deployment probes, resources, a locked-down security context, a PDB and its HPA', () => {
    for (const dep of byKind(objects, 'Deployment')) {
      const svc = services.get(dep.metadata.name)!;
      const pod = dep.spec.template.spec;
      const podLabels = dep.spec.template.metadata.labels;
      expect(selects(dep.spec.selector.matchLabels, podLabels)).toBe(true);

      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      // Only a service given Kubernetes API rights (rbac.rules: docker-manager) gets a token.
      expect(pod.automountServiceAccountToken).toBe(svc.rbac.rules.length > 0);
      expect(pod.serviceAccountName).toBe(dep.metadata.name);
      expect(pod.topologySpreadConstraints?.length).toBeGreaterThan(0);
      for (const c of pod.topologySpreadConstraints) expect(selects(c.labelSelector.matchLabels, podLabels)).toBe(true);

      expect(pod.containers).toHaveLength(1);
      const [c] = pod.containers;
      const containerPorts = Object.fromEntries(c.ports.map((p: Obj) => [p.name, p.containerPort]));
      expect(containerPorts.http).toBe(ports.http);
      expect(containerPorts.grpc).toBe(svc.grpc ? ports.grpc : undefined);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      for (const r of ['cpu', 'memory']) {
        expect(c.resources.limits[r]).toBeDefined();
        expect(c.resources.requests[r]).toBeDefined();
      }
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.securityContext.runAsUser).toBeGreaterThan(0);
      // A read-only root needs a writable /tmp.
      const tmp = c.volumeMounts.find((m: Obj) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: Obj) => v.name === tmp?.name)?.emptyDir).toBeDefined();

      const pdbs = byKind(objects, 'PodDisruptionBudget').filter((p) => selects(p.spec.selector.matchLabels, podLabels));
      expect(pdbs).toHaveLength(1);
      const hpas = byKind(objects, 'HorizontalPodAutoscaler').filter(
        (h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === dep.metadata.name,
      );
      if (svc.autoscaling.enabled) {
        expect(hpas).toHaveLength(1);
        expect(dep.spec.replicas).toBeUndefined(); // the HPA owns the replica count
        expect(hpas[0].spec.minReplicas).toBe(svc.autoscaling.minReplicas);
      } else {
        expect(hpas).toHaveLength(0);
        expect(dep.spec.replicas).toBe(svc.replicas);
      }
    }
  });

  it('references only Secrets and ConfigMaps the chart creates or the values name as existing', () => {
    // The chart never carries secret values.
    expect(byKind(objects, 'Secret')).toEqual([]);
    const createdConfigMaps = new Set(byKind(objects, 'ConfigMap').map((o) => o.metadata.name));
    const existing = existingSecretNames(values);
    const secretRefs = new Set<string>();
    const configMapRefs = new Set<string>();
    for (const { spec } of podSpecs(objects)) {
      for (const s of spec.imagePullSecrets ?? []) secretRefs.add(s.name);
      for (const v of spec.volumes ?? []) {
        if (v.secret) secretRefs.add(v.secret.secretName);
        if (v.configMap) configMapRefs.add(v.configMap.name);
        for (const src of v.projected?.sources ?? []) {
          if (src.secret) secretRefs.add(src.secret.name);
          if (src.configMap) configMapRefs.add(src.configMap.name);
        }
      }
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const e of c.envFrom ?? []) {
          if (e.secretRef) secretRefs.add(e.secretRef.name);
          if (e.configMapRef) configMapRefs.add(e.configMapRef.name);
        }
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef) secretRefs.add(e.valueFrom.secretKeyRef.name);
          if (e.valueFrom?.configMapKeyRef) configMapRefs.add(e.valueFrom.configMapKeyRef.name);
        }
      }
    }
    for (const ing of byKind(objects, 'Ingress')) for (const t of ing.spec.tls ?? []) if (t.secretName) secretRefs.add(t.secretName);

    expect([...secretRefs].filter((s) => !existing.has(s))).toEqual([]);
    expect([...configMapRefs].filter((c) => !createdConfigMaps.has(c))).toEqual([]);
    expect(secretRefs.size).toBeGreaterThan(0);
  });

  it('wires the call graph into the environment (peer gRPC URLs and the JWKS URL)', () => {
    const issuer = values.global.auth.issuerService;
    for (const [name, svc] of services) {
      const env = find(objects, 'ConfigMap', `${name}-env`)!.data as Record<string, string>;
      const grpcVars = Object.keys(env).filter((k) => k.endsWith('_GRPC_URL')).sort();
      const callees = (svc.calls as string[]).filter((c) => services.has(c));
      expect(grpcVars).toEqual(callees.map((c) => `${c.toUpperCase().replace(/-/g, '_')}_GRPC_URL`).sort());
      for (const c of callees) expect(env[`${c.toUpperCase().replace(/-/g, '_')}_GRPC_URL`]).toBe(`${c}:${ports.grpc}`);
      expect(env.AUTH_JWKS_URL).toBe(svc.auth && name !== issuer ? `http://${issuer}:${ports.http}/.well-known/jwks.json` : undefined);
      expect(env.HTTP_PORT).toBe(String(ports.http));
      expect(env.GRPC_PORT).toBe(svc.grpc ? String(ports.grpc) : undefined);
      // Non-secret only: connection URLs and keys come from Secrets.
      expect(Object.keys(env).filter((k) => /PASSWORD|PRIVATE_KEY|^(DATABASE|REDIS|RABBITMQ|MONGODB)_URL$/.test(k))).toEqual([]);
    }
  });

  it('has NetworkPolicies that allow exactly the call graph derived from the values', () => {
    const np = values.global.networkPolicy;
    const issuer = values.global.auth.issuerService;
    const portOf = (p: string | number) => (typeof p === 'number' ? p : (ports as Obj)[p]);
    const peerName = (peer: Obj): string => {
      if (peer.podSelector && !peer.namespaceSelector) {
        expect(peer.podSelector.matchLabels['app.kubernetes.io/instance']).toBe('aether');
        return peer.podSelector.matchLabels[NAME];
      }
      if (peer.namespaceSelector && JSON.stringify(peer.namespaceSelector) === JSON.stringify(np.monitoring.namespaceSelector)) return 'monitoring';
      if (peer.ipBlock) return `cidr:${peer.ipBlock.cidr}`;
      return `external:${JSON.stringify(peer)}`;
    };
    const ingressEdges = (rules: Obj[]) =>
      rules.flatMap((r) =>
        (r.ports ?? []).flatMap((p: Obj) => (r.from?.length ? r.from.map(peerName) : ['anywhere']).map((peer: string) => `${peer}->${portOf(p.port)}`)),
      );
    const egressEdges = (rules: Obj[]) =>
      rules.flatMap((r) =>
        (r.ports ?? []).flatMap((p: Obj) => (r.to?.length ? r.to.map(peerName) : ['anywhere']).map((peer: string) => `${peer}->${portOf(p.port)}`)),
      );
    const sorted = (xs: string[]) => [...new Set(xs)].sort();

    for (const [name, svc] of services) {
      const policy = find(objects, 'NetworkPolicy', name)!;
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(policy.spec.podSelector.matchLabels).toEqual({ [NAME]: name, 'app.kubernetes.io/instance': 'aether' });

      const callers = [...services.values()].filter((o) => (o.calls as string[]).includes(name)).map((o) => o.name);
      const jwksConsumers = name === issuer ? [...services.values()].filter((o) => o.auth && o.name !== issuer).map((o) => o.name) : [];
      const publicPeers = np.publicIngressFrom.length ? np.publicIngressFrom.map(peerName) : ['anywhere'];
      const expectedIngress = [
        `monitoring->${ports.http}`,
        ...(svc.public ? publicPeers.map((p: string) => `${p}->${ports.http}`) : []),
        ...(svc.grpc ? callers.map((c) => `${c}->${ports.grpc}`) : []),
        ...jwksConsumers.map((c) => `${c}->${ports.http}`),
        ...ingressEdges(svc.networkPolicy.extraIngress),
      ];
      expect(sorted(ingressEdges(policy.spec.ingress))).toEqual(sorted(expectedIngress));

      // A store the release runs itself (chroma.enabled) is reached at its pods, the others through storeCidrs.
      const inCluster = (kind: string) => values[kind]?.enabled === true;
      const storePorts = Object.entries(svc.stores as Obj).filter(([kind]) => !inCluster(kind)).flatMap(([kind, o]) => (o?.ports ?? values.global.stores[kind].ports) as number[]);
      const expectedEgress = [
        'anywhere->53',
        ...Object.keys(svc.stores as Obj).filter(inCluster).map((kind) => `${kind}->${values[kind].port}`),
        ...(svc.calls as string[]).filter((c) => services.has(c)).map((c) => `${c}->${ports.grpc}`),
        ...(svc.auth && name !== issuer ? [`${issuer}->${ports.http}`] : []),
        ...np.storeCidrs.flatMap((cidr: string) => storePorts.map((p) => `cidr:${cidr}->${p}`)),
        ...egressEdges(np.extraEgress),
        ...egressEdges(svc.networkPolicy.extraEgress),
      ];
      expect(sorted(egressEdges(policy.spec.egress))).toEqual(sorted(expectedEgress));
    }

    // Only the public services accept traffic from outside the cluster.
    for (const policy of byKind(objects, 'NetworkPolicy')) {
      const outside = ingressEdges(policy.spec.ingress ?? []).filter((e) => e.startsWith('anywhere') || e.startsWith('cidr:') || e.startsWith('external'));
      const isPublic = services.get(policy.metadata.name)?.public === true;
      if (!isPublic) expect(outside).toEqual([]);
    }

    // Default deny for every pod of the release, so pods without a service policy get nothing.
    const deny = byKind(objects, 'NetworkPolicy').find((p) => !p.spec.ingress && !p.spec.egress)!;
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    for (const { owner } of podSpecs(objects)) {
      expect(selects(deny.spec.podSelector.matchLabels, owner.spec.template.metadata.labels)).toBe(true);
    }
  });

  it('runs a Chroma server for rag: a locked-down StatefulSet with its volume, probed on the heartbeat, reachable from rag only', () => {
    expect(values.chroma.enabled).toBe(true);
    const sts = find(objects, 'StatefulSet', 'chroma')!;
    expect(sts.spec.replicas).toBe(1);
    const pod = sts.spec.template.spec;
    expect(selects(sts.spec.selector.matchLabels, sts.spec.template.metadata.labels)).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const [c] = pod.containers;
    expect(c.image).toBe(`${values.chroma.image.repository}:${values.chroma.image.tag}`);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect(c[probe].httpGet).toEqual({ path: '/api/v2/heartbeat', port: 'http' });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    for (const r of ['cpu', 'memory']) expect(c.resources.limits[r] && c.resources.requests[r]).toBeDefined();
    // Data on the volume claim, scratch in an emptyDir (read-only root).
    expect(c.volumeMounts.find((m: Obj) => m.mountPath === '/data').name).toBe(sts.spec.volumeClaimTemplates[0].metadata.name);
    expect(pod.volumes.find((v: Obj) => v.name === c.volumeMounts.find((m: Obj) => m.mountPath === '/tmp').name).emptyDir).toBeDefined();
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(values.chroma.persistence.size);
    // helm uninstall keeps the vectors.
    expect(sts.spec.persistentVolumeClaimRetentionPolicy.whenDeleted).toBe('Retain');

    const service = find(objects, 'Service', 'chroma')!;
    expect(selects(service.spec.selector, sts.spec.template.metadata.labels)).toBe(true);
    expect(service.spec.ports.map((p: Obj) => [p.name, p.port, p.targetPort])).toEqual([['http', values.chroma.port, 'http']]);

    // rag (every service whose stores name chroma) is pointed at it, in plain config instead of a Secret.
    const clients = [...services.values()].filter((svc) => 'chroma' in (svc.stores as Obj)).map((svc) => svc.name);
    expect(clients).toContain('rag');
    for (const name of clients) {
      expect(find(objects, 'ConfigMap', `${name}-env`)!.data.CHROMA_URL).toBe(`http://chroma:${values.chroma.port}`);
      const container = find(objects, 'Deployment', name)!.spec.template.spec.containers[0];
      expect((container.env ?? []).map((e: Obj) => e.name)).not.toContain('CHROMA_URL');
    }
    // Ingress from exactly those services, on the Chroma port; no egress at all.
    const policy = find(objects, 'NetworkPolicy', 'chroma')!;
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(selects(policy.spec.podSelector.matchLabels, sts.spec.template.metadata.labels)).toBe(true);
    expect(policy.spec.ingress).toHaveLength(1);
    expect(policy.spec.ingress[0].from.map((p: Obj) => p.podSelector.matchLabels[NAME]).sort()).toEqual(clients.sort());
    expect(policy.spec.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    expect(policy.spec.egress).toEqual([]);
  });

  it('runs the migrations of PostgreSQL services as a pre-install/pre-upgrade Job with MIGRATE_ONLY=true', () => {
    const migrating = [...services.values()].filter((s) => s.migrations.enabled).map((s) => s.name);
    expect(migrating.length).toBeGreaterThan(0);
    expect(byKind(objects, 'Job').map((j) => j.metadata.name).sort()).toEqual(migrating.map((n) => `${n}-migrate`).sort());
    for (const name of migrating) {
      expect(services.get(name)!.stores.postgres).toBeDefined();
      const job = find(objects, 'Job', `${name}-migrate`)!;
      expect(job.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      const pod = job.spec.template.spec;
      const [c] = pod.containers;
      const deployment = find(objects, 'Deployment', name)!;
      expect(c.image).toBe(deployment.spec.template.spec.containers[0].image);
      const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e]));
      expect(env.MIGRATE_ONLY.value).toBe('true');
      expect(env.DATABASE_URL.valueFrom.secretKeyRef.name).toBe(services.get(name)!.stores.postgres.existingSecret);
      // Hooks run before the ConfigMap exists on a first install: the env is inline.
      expect(c.envFrom).toBeUndefined();
      expect(env.NODE_ENV.value).toBe('production');
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      // Its ServiceAccount is a hook too, created first.
      const sa = find(objects, 'ServiceAccount', pod.serviceAccountName)!;
      expect(Number(sa.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations!['helm.sh/hook-weight']));
      // Migration pods are not picked up by the Service or the PDB.
      const podLabels = job.spec.template.metadata.labels;
      expect(selects(find(objects, 'Service', name)!.spec.selector, podLabels)).toBe(false);
      expect(selects(find(objects, 'NetworkPolicy', name)!.spec.podSelector.matchLabels, podLabels)).toBe(true);
    }
  });

  it('exposes only the public services through an Ingress, with the configured class and annotations', () => {
    const publicServices = [...services.values()].filter((s) => s.public && s.ingress.enabled);
    expect(byKind(objects, 'Ingress').map((i) => i.metadata.name).sort()).toEqual(publicServices.map((s) => s.name).sort());
    for (const svc of publicServices) {
      const ing = find(objects, 'Ingress', svc.name)!;
      expect(ing.spec.ingressClassName).toBe(svc.ingress.className || undefined);
      expect(ing.metadata.annotations ?? {}).toEqual(svc.ingress.annotations);
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) expect(p.backend.service).toEqual({ name: svc.name, port: { name: 'http' } });
      }
    }
  });

  it('prints NOTES that list every service and the public address', () => {
    const notes = renderNotes(files);
    for (const name of services.keys()) expect(notes).toContain(`- ${name} `);
    const gateway = services.get('api-gateway')!;
    for (const h of gateway.ingress.hosts) if (h.host) expect(notes).toContain(`${h.host}/api/v1`);
  });

  it('carries the ServiceAccount annotations (IRSA / Workload Identity) from the values', () => {
    for (const [name, svc] of services) {
      const sa = find(objects, 'ServiceAccount', name)!;
      expect(sa.metadata.annotations ?? {}).toEqual(svc.serviceAccount.annotations);
      expect(sa.automountServiceAccountToken).toBe(svc.rbac.rules.length > 0);
      // A Role (and its binding) exactly when rules are given.
      expect(find(objects, 'Role', name)?.rules).toEqual(svc.rbac.rules.length > 0 ? svc.rbac.rules : undefined);
    }
  });
});

describe('cloud examples', () => {
  it('EKS: ALB ingress, IRSA roles and managed stores inside the VPC', () => {
    const objects = renderChart([join(CHART, 'values-eks.yaml')]);
    const ing = find(objects, 'Ingress', 'api-gateway')!;
    expect(ing.spec.ingressClassName).toBe('alb');
    expect(ing.metadata.annotations!['alb.ingress.kubernetes.io/target-type']).toBe('ip');
    for (const sa of byKind(objects, 'ServiceAccount').filter((s) => !s.metadata.annotations?.['helm.sh/hook'])) {
      expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    }
    expect(byKind(objects, 'ServiceMonitor').length).toBe(byKind(objects, 'Deployment').length);
  });

  it('GKE: GCE ingress, Workload Identity and NEG-backed gateway Service', () => {
    const objects = renderChart([join(CHART, 'values-gke.yaml')]);
    const ing = find(objects, 'Ingress', 'api-gateway')!;
    expect(ing.metadata.annotations!['kubernetes.io/ingress.class']).toBe('gce');
    expect(find(objects, 'Service', 'api-gateway')!.metadata.annotations!['cloud.google.com/neg']).toContain('ingress');
    for (const sa of byKind(objects, 'ServiceAccount').filter((s) => !s.metadata.annotations?.['helm.sh/hook'])) {
      expect(sa.metadata.annotations?.['iam.gke.io/gcp-service-account']).toMatch(/@.+\.iam\.gserviceaccount\.com$/);
    }
  });
});

describe('chart coverage of the apps', () => {
  it('has a services entry for every app in apps/ with a main.ts', () => {
    const values = loadValues([]);
    const apps = readdirSync(join(ROOT, 'apps')).filter((a) => existsSync(join(ROOT, 'apps', a, 'src/main.ts')));
    expect(apps.filter((a) => !(a in values.services))).toEqual([]);
  });
});
