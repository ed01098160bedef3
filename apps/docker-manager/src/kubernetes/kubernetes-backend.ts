import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import { ConflictError, UnavailableError } from '@aether/service-kit';
import type { ActionOutcome, Container, ContainerBackend, ContainerStats, EngineEvent, ListFilter, LogLine, LogQuery } from '../containers/container-backend';
import { type AllowListLabel, carriesLabel, matchesLabelFilters } from '../containers/label-selector';
import { containerNotFound } from '../docker/docker-backend';
import { LineSplitter } from '../docker/log-frames';

type K8s = typeof k8s;

/** @kubernetes/client-node 1.x is ESM only: loaded with import() (a CommonJS require of it needs Node ≥ 20.19). */
const loadClient = (): Promise<K8s> => import('@kubernetes/client-node');

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export interface KubernetesBackendOptions {
  label: AllowListLabel;
  namespace?: string;
  kubeconfig?: string;
  timeoutMs: number;
}

/** Pods of one namespace selected by the allow-list label, restarted through their Deployment. */
export async function createKubernetesBackend(opts: KubernetesBackendOptions): Promise<KubernetesBackend> {
  const client = await loadClient();
  const config = new client.KubeConfig();
  if (opts.kubeconfig) config.loadFromFile(opts.kubeconfig);
  else config.loadFromDefault();
  const namespace = opts.namespace ?? inClusterNamespace() ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
  return new KubernetesBackend(client, config, namespace, opts.label, opts.timeoutMs);
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A Kubernetes API failure as a domain error (never the API's text). */
export function kubeError(err: unknown): Error {
  const code = (err as { code?: number; statusCode?: number })?.code ?? (err as { statusCode?: number })?.statusCode;
  if (code === 404) return containerNotFound();
  if (code === 409) return new ConflictError('CONTAINER_CONFLICT', 'The workload changed meanwhile; try again');
  return new UnavailableError('The Kubernetes API is unavailable');
}

/**
 * The pod exists (it was just found), so a failing log read means the node cannot give its logs
 * now (container not started yet, node unreachable, a virtual node): a 503, never "not found".
 */
function logsUnavailable(_err: unknown): Error {
  return new UnavailableError('The pod’s logs are not available from its node', 'LOGS_UNAVAILABLE');
}

const iso = (d: Date | string | undefined) => (d ? new Date(d).toISOString() : '');

/** A pod as the API's container: phase → state, the first container's image, summed restarts. */
export function podToContainer(pod: k8s.V1Pod): Container {
  const spec = pod.spec?.containers?.[0];
  const statuses = pod.status?.containerStatuses ?? [];
  const first = statuses[0];
  const phase = pod.status?.phase ?? 'Unknown';
  const state = pod.metadata?.deletionTimestamp
    ? 'removing'
    : phase === 'Running'
      ? 'running'
      : phase === 'Pending'
        ? 'created'
        : phase === 'Succeeded' || phase === 'Failed'
          ? 'exited'
          : 'dead';
  const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const terminated = first?.state?.terminated ?? first?.lastState?.terminated;
  return {
    id: pod.metadata?.uid ?? '',
    name: pod.metadata?.name ?? '',
    image: spec?.image ?? '',
    state,
    status: waiting ?? pod.status?.reason ?? phase,
    labels: { ...(pod.metadata?.labels ?? {}) },
    ports: (spec?.ports ?? []).map((p) => ({ privatePort: p.containerPort, publicPort: p.hostPort ?? 0, protocol: (p.protocol ?? 'TCP').toLowerCase(), ip: p.hostIP ?? '' })),
    createdAt: iso(pod.metadata?.creationTimestamp),
    startedAt: iso(first?.state?.running?.startedAt ?? pod.status?.startTime),
    finishedAt: iso(terminated?.finishedAt),
    exitCode: terminated?.exitCode ?? 0,
    restartCount: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    mounts: (spec?.volumeMounts ?? []).map((m) => ({ type: 'volume', name: m.name, destination: m.mountPath, readOnly: m.readOnly === true })),
    health: ready ? (ready.status === 'True' ? 'healthy' : 'unhealthy') : '',
  };
}

/** The Deployment owning a pod (pod → ReplicaSet `<deployment>-<pod-template-hash>`), read from the pod alone. */
export function owningDeployment(pod: k8s.V1Pod): string | undefined {
  const rs = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet' && o.controller);
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (!rs || !hash || !rs.name.endsWith(`-${hash}`)) return undefined;
  return rs.name.slice(0, -(hash.length + 1));
}

/** CPU quantity ("250m", "1", "1500000n") as cores. */
export function cpuCores(q: string | undefined): number {
  if (!q) return 0;
  const m = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(q);
  if (!m) return 0;
  const scale = { n: 1e-9, u: 1e-6, m: 1e-3 }[m[2] as 'n' | 'u' | 'm'] ?? 1;
  return Number(m[1]) * scale;
}

/** Memory quantity ("128Mi", "1G", "1024") as bytes. */
export function memoryBytes(q: string | undefined): number {
  if (!q) return 0;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return 0;
  const scale: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.round(Number(m[1]) * (m[2] ? scale[m[2]] : 1));
}

interface PodMetrics {
  timestamp?: string;
  containers?: Array<{ name: string; usage?: { cpu?: string; memory?: string } }>;
}

export class KubernetesBackend implements ContainerBackend {
  readonly kind = 'kubernetes' as const;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly custom: k8s.CustomObjectsApi;

  constructor(
    private readonly client: K8s,
    private readonly config: k8s.KubeConfig,
    readonly namespace: string,
    private readonly label: AllowListLabel,
    private readonly timeoutMs: number,
  ) {
    this.core = config.makeApiClient(client.CoreV1Api);
    this.apps = config.makeApiClient(client.AppsV1Api);
    this.custom = config.makeApiClient(client.CustomObjectsApi);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new UnavailableError('The Kubernetes API did not answer in time')), this.timeoutMs);
        }),
      ]);
    } catch (err) {
      throw err instanceof UnavailableError ? err : kubeError(err);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async ping(): Promise<void> {
    await this.call(() => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.label.selector, limit: 1 }));
  }

  private async pods(): Promise<k8s.V1Pod[]> {
    const res = await this.call(() => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.label.selector }));
    return res.items.filter((p) => carriesLabel(p.metadata?.labels, this.label));
  }

  async list(filter: ListFilter): Promise<Container[]> {
    return (await this.pods())
      .map(podToContainer)
      .filter((c) => (!filter.status || c.state === filter.status) && matchesLabelFilters(c.labels, filter.labels));
  }

  /** By uid or name, among the labelled pods only (one list, whatever the reference). */
  private async findPod(ref: string): Promise<k8s.V1Pod | undefined> {
    return (await this.pods()).find((p) => p.metadata?.uid === ref || p.metadata?.name === ref);
  }

  private async podById(id: string): Promise<k8s.V1Pod> {
    const pod = await this.findPod(id);
    if (!pod) throw containerNotFound();
    return pod;
  }

  async find(ref: string): Promise<Container | undefined> {
    const pod = await this.findPod(ref);
    return pod ? podToContainer(pod) : undefined;
  }

  async start(id: string): Promise<ActionOutcome> {
    const pod = await this.podById(id);
    if (pod.status?.phase === 'Running') return 'unchanged';
    throw new ConflictError('NOT_SUPPORTED', 'On Kubernetes a pod is started by its controller; restart it instead');
  }

  async stop(id: string): Promise<ActionOutcome> {
    await this.podById(id);
    throw new ConflictError('NOT_SUPPORTED', 'On Kubernetes a pod is stopped by scaling its workload, not through this API');
  }

  /** A rollout restart of the owning Deployment (as `kubectl rollout restart`): a merge patch of its template annotation. */
  async restart(id: string): Promise<ActionOutcome> {
    const pod = await this.podById(id);
    const deployment = owningDeployment(pod);
    if (!deployment) throw new ConflictError('NOT_SUPPORTED', 'Only pods of a Deployment can be restarted');
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: new Date().toISOString() } } } } };
    await this.call(() =>
      this.apps.patchNamespacedDeployment(
        { name: deployment, namespace: this.namespace, body },
        this.client.setHeaderOptions('Content-Type', this.client.PatchStrategy.MergePatch),
      ),
    );
    return 'changed';
  }

  async *logs(id: string, query: LogQuery, signal: AbortSignal): AsyncIterable<LogLine> {
    const pod = await this.podById(id);
    const name = pod.metadata!.name!;
    const container = pod.spec?.containers?.[0]?.name;
    // Kubernetes keeps one stream per container: every line is reported as stdout.
    if (!query.stdout) return;
    const splitter = new LineSplitter(query.timestamps);
    const options = {
      timestamps: query.timestamps,
      ...(query.tail !== undefined ? { tailLines: query.tail } : {}),
      ...(query.since ? { sinceTime: query.since.toISOString() } : {}),
    };
    if (!query.follow) {
      const text = await this.call(() => this.core.readNamespacedPodLog({ name, namespace: this.namespace, container, ...options })).catch((err) => {
        throw logsUnavailable(err);
      });
      if (query.tail === 0) return;
      yield* [...splitter.push('stdout', Buffer.from(text ?? '', 'utf8')), ...splitter.flush()];
      return;
    }
    const out = new PassThrough();
    let abort: AbortController | undefined;
    const stop = () => {
      abort?.abort();
      out.end();
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      abort = await new this.client.Log(this.config).log(this.namespace, name, container ?? '', out, { ...options, follow: true });
      for await (const chunk of out) yield* splitter.push('stdout', chunk as Buffer);
      yield* splitter.flush();
    } catch (err) {
      if (!signal.aborted) throw logsUnavailable(err);
    } finally {
      signal.removeEventListener('abort', stop);
      abort?.abort();
    }
  }

  async stats(id: string): Promise<ContainerStats> {
    const pod = await this.podById(id);
    let metrics: PodMetrics;
    try {
      metrics = (await this.custom.getNamespacedCustomObject({
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        namespace: this.namespace,
        plural: 'pods',
        name: pod.metadata!.name!,
      })) as PodMetrics;
    } catch {
      throw new UnavailableError('Pod metrics (metrics.k8s.io) are not available in this cluster', 'METRICS_UNAVAILABLE');
    }
    const cores = (metrics.containers ?? []).reduce((n, c) => n + cpuCores(c.usage?.cpu), 0);
    const memory = (metrics.containers ?? []).reduce((n, c) => n + memoryBytes(c.usage?.memory), 0);
    const limit = (pod.spec?.containers ?? []).reduce((n, c) => n + memoryBytes(c.resources?.limits?.memory), 0);
    return {
      id: pod.metadata!.uid!,
      readAt: iso(metrics.timestamp) || new Date().toISOString(),
      cpuPercent: Math.round(cores * 100 * 100) / 100,
      onlineCpus: 0,
      memoryUsageBytes: String(memory),
      memoryLimitBytes: String(limit),
      memoryPercent: limit > 0 ? Math.round((memory / limit) * 100 * 100) / 100 : 0,
      networkRxBytes: '0',
      networkTxBytes: '0',
      blockReadBytes: '0',
      blockWriteBytes: '0',
      pids: 0,
    };
  }

  async *statsStream(id: string, intervalMs: number, signal: AbortSignal): AsyncIterable<ContainerStats> {
    while (!signal.aborted) {
      yield await this.stats(id);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  /** Pod watch → state changes: Running → started, a restart count that grows → restarted, Succeeded/Failed → died. */
  async *events(signal: AbortSignal): AsyncIterable<EngineEvent> {
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    let ended: unknown = undefined;
    let done = false;
    const seen = new Map<string, Container>();
    const push = (e: EngineEvent) => {
      queue.push(e);
      wake?.();
    };
    const watch = new this.client.Watch(this.config);
    const controller = await watch
      .watch(
        `/api/v1/namespaces/${this.namespace}/pods`,
        { labelSelector: this.label.selector },
        (type: string, pod: k8s.V1Pod) => {
          if (!carriesLabel(pod.metadata?.labels, this.label)) return;
          const now = podToContainer(pod);
          const before = seen.get(now.id);
          if (type === 'DELETED') {
            seen.delete(now.id);
            return;
          }
          seen.set(now.id, now);
          if (!before) return; // the initial listing: no change
          const key = (kind: string) => `${now.id}:${pod.metadata?.resourceVersion}:${kind}`;
          if (before.state !== 'running' && now.state === 'running') push({ kind: 'started', key: key('started'), containerId: now.id, container: now });
          else if (now.restartCount > before.restartCount) push({ kind: 'restarted', key: key('restarted'), containerId: now.id, container: now });
          if (before.state === 'running' && now.state === 'exited') {
            const oomKilled = (pod.status?.containerStatuses ?? []).some((c) => c.lastState?.terminated?.reason === 'OOMKilled' || c.state?.terminated?.reason === 'OOMKilled');
            push({ kind: 'died', key: key('died'), containerId: now.id, container: now, exitCode: now.exitCode, oomKilled });
          }
        },
        (err: unknown) => {
          done = true;
          ended = err;
          wake?.();
        },
      )
      .catch((err: unknown) => {
        throw kubeError(err);
      });
    const stop = () => {
      controller.abort();
      done = true;
      wake?.();
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      while (!signal.aborted) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', stop);
      controller.abort();
    }
    if (!signal.aborted) throw ended instanceof Error ? kubeError(ended) : new UnavailableError('The pod watch ended');
  }
}
