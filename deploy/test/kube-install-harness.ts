// Helpers for the install tests on a real control plane (helm-install.spec.ts): helm against the
// plane's kubeconfig, namespaces that enforce the restricted Pod Security Standard, the Secrets the
// values name, what is on the server, and waiting for the state a healthy release must reach.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
// The file, not @aether/testing's entry: the deploy checks must not load the service kit (Nest,
// generated contracts) to drive kubectl and helm.
import { KubeControlPlane, runCommand, type CommandResult } from '../../libs/testing/src/kube-control-plane';
import { CHART, Obj, ROOT, deepMerge, effectiveServices, helm, tempValues, type K8sObject } from '../../helm/test/chart-harness';

export const RELEASE_ANNOTATION = 'meta.helm.sh/release-name';
export const INSTANCE = 'app.kubernetes.io/instance';

/**
 * Warnings the API server may send for the chart's objects, each with why it is accepted. Any
 * other warning fails the install tests: a deprecation or a Pod Security warning is a defect to
 * fix in the chart, or to add here with its reason.
 */
export const KNOWN_WARNINGS: { pattern: RegExp; why: string }[] = [
  {
    pattern: /^annotation "kubernetes\.io\/ingress\.class" is deprecated, please use 'spec\.ingressClassName' instead$/,
    why: "GKE's own Ingress controller is selected by this annotation (no IngressClass object): values-gke.yaml",
  },
];

export interface HelmResult extends CommandResult {
  /** Warnings the API server sent (helm prints them on stderr). */
  warnings: string[];
}

/** helm's stderr lines that carry an API server warning. */
export function serverWarnings(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /warnings\.go:\d+\]\s*(.*)$/.exec(line) ?? /^Warning: (.*)$/.exec(line.trim());
    if (m) out.push(m[1].trim());
  }
  return [...new Set(out)];
}

export const unknownWarnings = (warnings: string[]): string[] => warnings.filter((w) => !KNOWN_WARNINGS.some((k) => k.pattern.test(w)));

export class KubeInstallHarness {
  constructor(readonly kube: KubeControlPlane) {}

  /** The API server's version (e.g. v1.33.13), for `helm template --kube-version`. */
  async serverVersion(): Promise<string> {
    return (await this.kube.kubectlJson(['version'])).serverVersion.gitVersion;
  }

  async helm(args: string[], timeoutMs = 5 * 60_000): Promise<HelmResult> {
    const res = await runCommand(helm(), [...args, '--kubeconfig', this.kube.kubeconfig], { env: this.kube.env, timeoutMs });
    return { ...res, warnings: serverWarnings(res.stderr) };
  }

  async kubectlOk(args: string[], input?: string): Promise<string> {
    const res = await this.kube.kubectl(args, { input });
    if (res.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${res.stderr}`);
    return res.stdout;
  }

  /** A namespace that enforces (and warns about) the restricted Pod Security Standard, holding
   * the Secrets the values name as existing (placeholder values: kwok runs no container). */
  async createNamespace(name: string, values: Obj): Promise<void> {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': 'latest',
        },
      },
    };
    const secrets = [...requiredSecretKeys(values)].map(([secret, keys]) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret, namespace: name },
      type: 'Opaque',
      stringData: Object.fromEntries([...keys].map((k) => [k, `placeholder-${k}`])),
    }));
    await this.kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [ns, ...secrets] }));
    // Pods need the namespace's default ServiceAccount (made by the controller-manager).
    await waitUntil(`ServiceAccount default in ${name}`, async () => (await this.kube.kubectl(['get', 'serviceaccount', 'default', '-n', name])).status === 0);
  }

  /**
   * A PersistentVolume for each claim the StatefulSets among these objects will make in the
   * namespace (this control plane has no provisioner): hostPath, pre-bound to its claim by
   * claimRef, so the PV controller binds it and the scheduler can place the pod.
   */
  async provideVolumes(namespace: string, objects: K8sObject[]): Promise<string[]> {
    const volumes = objects
      .filter((o) => o.kind === 'StatefulSet')
      .flatMap((sts) =>
        (sts.spec.volumeClaimTemplates ?? []).flatMap((t: Obj) =>
          Array.from({ length: sts.spec.replicas ?? 1 }, (_, i) => {
            const claim = `${t.metadata.name}-${sts.metadata.name}-${i}`;
            return {
              apiVersion: 'v1',
              kind: 'PersistentVolume',
              metadata: { name: `${namespace}-${claim}`, labels: { 'aether.test/namespace': namespace } },
              spec: {
                capacity: { storage: t.spec.resources.requests.storage },
                accessModes: t.spec.accessModes,
                persistentVolumeReclaimPolicy: 'Retain',
                storageClassName: t.spec.storageClassName ?? '',
                hostPath: { path: `/var/lib/aether-test/${namespace}/${claim}` },
                claimRef: { namespace, name: claim },
              },
            };
          }),
        ),
      );
    if (volumes.length) await this.kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: volumes }));
    return volumes.map((v) => v.metadata.name);
  }

  /** Every namespaced object in the namespace, of every listable type but events. */
  async objectsIn(namespace: string, opts: { selector?: string } = {}): Promise<K8sObject[]> {
    // Asked each time: a CRD installed meanwhile adds a type.
    const resources = await this.kubectlOk(['api-resources', '--verbs=list', '--namespaced', '-o', 'name']);
    // Events are records about objects, not objects a release owns.
    const types = resources.split('\n').filter((r) => r && !/^events(\.events\.k8s\.io)?$/.test(r));
    const args = ['get', types.join(','), '-n', namespace, '-o', 'json', '--ignore-not-found'];
    if (opts.selector) args.push('-l', opts.selector);
    const out = await this.kubectlOk(args);
    return out.trim() ? ((JSON.parse(out).items ?? []) as K8sObject[]) : [];
  }

  /** The objects helm created for a release: helm annotates each one. Objects a controller
   * derives from them (ReplicaSets copy their Deployment's annotations) have a controller owner. */
  async releaseObjects(namespace: string, release: string): Promise<K8sObject[]> {
    return (await this.objectsIn(namespace)).filter(
      (o) => o.metadata.annotations?.[RELEASE_ANNOTATION] === release && !(o.metadata as Obj).ownerReferences?.some((r: Obj) => r.controller),
    );
  }

  async list(kind: string, namespace: string, selector?: string): Promise<Obj[]> {
    const args = namespace ? ['get', kind, '-n', namespace] : ['get', kind];
    if (selector) args.push('-l', selector);
    return (await this.kube.kubectlJson(args)).items;
  }

  /** Zone label of every node (undefined for nodes without one). */
  async nodeZones(): Promise<Map<string, string | undefined>> {
    const nodes = await this.list('nodes', '');
    return new Map(nodes.map((n) => [n.metadata.name as string, n.metadata.labels?.['topology.kubernetes.io/zone'] as string | undefined]));
  }

  /** The prometheus-operator CRDs, from its Go module (scripts/k8s/prometheus-operator-crds.sh). */
  async crdFolder(): Promise<string> {
    const res = await runCommand('bash', [join(ROOT, 'scripts/k8s/prometheus-operator-crds.sh')], { timeoutMs: 5 * 60_000 });
    const dir = res.stdout.trim().split('\n').pop();
    if (res.status !== 0 || !dir) throw new Error(`prometheus-operator-crds.sh failed: ${res.stderr}`);
    return dir;
  }

  /** Job names (with uid) that completed in the namespace, from the Job controller's events:
   * hook Jobs are deleted once they succeed, their events stay. */
  async completedJobRuns(namespace: string): Promise<{ name: string; uid: string }[]> {
    const events = await this.list('events', namespace);
    const runs = events
      .filter((e) => e.involvedObject?.kind === 'Job' && e.reason === 'Completed')
      .map((e) => ({ name: e.involvedObject.name as string, uid: e.involvedObject.uid as string }));
    return [...new Map(runs.map((r) => [r.uid, r])).values()];
  }
}

/** Secret name → keys that the effective values read from it (stores and secretEnv). */
export function requiredSecretKeys(values: Obj): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (secret: string, key: string) => {
    if (!out.has(secret)) out.set(secret, new Set());
    out.get(secret)!.add(key);
  };
  for (const svc of effectiveServices(values).values()) {
    for (const [kind, override] of Object.entries((svc.stores ?? {}) as Obj)) {
      const store = deepMerge(values.global.stores[kind] ?? {}, override ?? {});
      if (store.existingSecret) add(store.existingSecret, store.key ?? 'url');
    }
    for (const ref of Object.values((svc.secretEnv ?? {}) as Obj)) add(ref.secret, ref.key);
  }
  return out;
}

/**
 * A copy of the umbrella chart (the library chart dereferenced), taken once: every install,
 * upgrade and `helm template` of a test run uses the same chart even while its files are being
 * edited. Returns the copy's path and its cleanup.
 */
export function snapshotChart(): { chart: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'aether-chart-'));
  const chart = join(dir, 'aether');
  cpSync(CHART, chart, { recursive: true, dereference: true });
  return { chart, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The chart's values.yaml overridden by the given -f files, in order (as helm coalesces them). */
export function loadChartValues(chart: string, valueFiles: string[]): Obj {
  return valueFiles.reduce((acc, f) => deepMerge(acc, parseYaml(readFileSync(f, 'utf8')) ?? {}), parseYaml(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Obj);
}

/** What `helm template` renders for these values: ordinary objects and hooks apart. */
export function renderRelease(chart: string, valueFiles: string[], release: string, kubeVersion: string): { objects: K8sObject[]; hooks: K8sObject[] } {
  const args = ['template', release, chart, '--kube-version', kubeVersion, ...valueFiles.flatMap((f) => ['-f', f])];
  const res = spawnSync(helm(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  const all = parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o != null);
  return {
    objects: all.filter((o) => !o.metadata.annotations?.['helm.sh/hook']),
    hooks: all.filter((o) => o.metadata.annotations?.['helm.sh/hook']),
  };
}

export { tempValues };

export const key = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

/** Polls `check` until it returns true. It may return a string instead of false: what is still
 * missing, reported if the wait times out. */
export async function waitUntil(what: string, check: () => Promise<boolean | string>, timeoutMs = 90_000, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const result = await check();
      if (result === true) return;
      if (typeof result === 'string') last = result;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const condition = (o: Obj, type: string): Obj | undefined => (o.status?.conditions ?? []).find((c: Obj) => c.type === type);
