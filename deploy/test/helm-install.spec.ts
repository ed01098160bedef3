// The umbrella chart installed onto a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler; kwok simulates nodes and pod lifecycles), with the
// default, EKS and GKE values: what only an API server catches — admission (restricted Pod
// Security Standard, requests vs limits), scheduling (topology spread), missing CRDs, hooks
// that must complete — plus upgrade, rollback, `helm test` and uninstall. One control plane
// for the whole file; cases run in order, each in its own namespace. The first run on a machine
// builds the control plane (minutes, scripts/ensure-k8s.sh); later runs reuse the cache.
// What this proves and what only a real cluster can: docs/deploy.md, "Install tests".
import { join } from 'node:path';
import { KubeControlPlane, startKubeControlPlane } from '../../libs/testing/src/kube-control-plane';
import { K8sObject, Obj } from '../../helm/test/chart-harness';
import {
  HelmResult,
  INSTANCE,
  KNOWN_WARNINGS,
  KubeInstallHarness,
  RELEASE_ANNOTATION,
  condition,
  key,
  loadChartValues,
  renderRelease,
  snapshotChart,
  tempValues,
  unknownWarnings,
  waitUntil,
} from './kube-install-harness';

const RELEASE = 'aether';
const WAIT = ['--wait', '--timeout', '4m'];
const CASE_TIMEOUT = 8 * 60_000;
const SERVER = `${INSTANCE}=${RELEASE},app.kubernetes.io/component=server`;
const SERVICE_MONITOR_CRD = 'servicemonitors.monitoring.coreos.com';

describe('the chart on a real API server (kube-apiserver + kwok)', () => {
  let kube: KubeControlPlane;
  let h: KubeInstallHarness;
  const cleanups: (() => void)[] = [];
  // One copy of the chart for the whole run (see snapshotChart).
  const snapshot = snapshotChart();
  cleanups.push(snapshot.cleanup);
  const CHART = snapshot.chart;
  const EKS = join(CHART, 'values-eks.yaml');
  const GKE = join(CHART, 'values-gke.yaml');
  let kubeVersion: string;
  const render = (files: string[]) => renderRelease(CHART, files, RELEASE, kubeVersion);

  beforeAll(async () => {
    kube = await startKubeControlPlane();
    h = new KubeInstallHarness(kube);
    kubeVersion = await h.serverVersion();
  }, 60 * 60_000); // the first run on a machine builds the binaries

  afterAll(async () => {
    await kube?.stop();
    for (const c of cleanups) c();
  }, 60_000);

  /** A values file with these overrides (removed after the file's tests). */
  function values(overrides: Obj): string {
    const v = tempValues(overrides);
    cleanups.push(v.cleanup);
    return v.file;
  }

  const fileArgs = (files: string[]) => files.flatMap((f) => ['-f', f]);

  async function install(namespace: string, files: string[], extra: string[] = WAIT): Promise<HelmResult> {
    await h.createNamespace(namespace, loadChartValues(CHART, files));
    // Chroma's volume claim (no provisioner here).
    await h.provideVolumes(namespace, render(files).objects);
    return h.helm(['install', RELEASE, CHART, '-n', namespace, ...fileArgs(files), ...extra]);
  }

  function expectSucceeded(res: HelmResult): void {
    if (res.status !== 0) throw new Error(`helm failed (${res.status}): ${res.stderr.slice(-3000)}`);
    expect(unknownWarnings(res.warnings)).toEqual([]);
  }

  async function revision(namespace: string): Promise<Obj> {
    const res = await h.helm(['status', RELEASE, '-n', namespace, '-o', 'json']);
    if (res.status !== 0) throw new Error(`helm status failed: ${res.stderr}`);
    return JSON.parse(res.stdout);
  }

  /** Replicas a Deployment must settle at: its HPA's minimum, else its own count. */
  function wantedReplicas(objects: K8sObject[]): Map<string, number> {
    const hpaMin = new Map(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => [o.spec.scaleTargetRef.name, o.spec.minReplicas]));
    return new Map(objects.filter((o) => o.kind === 'Deployment').map((d) => [d.metadata.name, hpaMin.get(d.metadata.name) ?? d.spec.replicas ?? 1]));
  }

  /** Replicas of every workload behind a Service: Deployments as above, StatefulSets their own count. */
  function podsPerWorkload(objects: K8sObject[]): Map<string, number> {
    const statefulSets = objects.filter((o) => o.kind === 'StatefulSet').map((s): [string, number] => [s.metadata.name, s.spec.replicas ?? 1]);
    return new Map([...wantedReplicas(objects), ...statefulSets]);
  }

  /** true once every StatefulSet has all its pods ready and available at the current revision; else what is not. */
  async function statefulSetsSettled(namespace: string, objects: K8sObject[]): Promise<true | string> {
    const wanted = objects.filter((o) => o.kind === 'StatefulSet');
    const onServer = await h.list('statefulsets', namespace, `${INSTANCE}=${RELEASE}`);
    if (onServer.length !== wanted.length) return `${onServer.length} of ${wanted.length} StatefulSets`;
    const unsettled = onServer.filter((sts) => {
      const s = sts.status ?? {};
      const n = sts.spec.replicas;
      return !(s.observedGeneration === sts.metadata.generation && s.readyReplicas === n && s.availableReplicas === n && s.currentRevision === s.updateRevision);
    });
    return unsettled.length === 0 || unsettled.map((sts) => `${sts.metadata.name}: ${JSON.stringify(sts.status)}`).join('; ');
  }

  /** true once every Deployment runs exactly its wanted replicas, all updated and available; else what is not. */
  async function deploymentsSettled(namespace: string, wanted: Map<string, number>): Promise<true | string> {
    const deployments = await h.list('deployments', namespace, `${INSTANCE}=${RELEASE}`);
    if (deployments.length !== wanted.size) return `${deployments.length} of ${wanted.size} Deployments`;
    const unsettled = deployments.filter((d) => {
      const n = wanted.get(d.metadata.name);
      const s = d.status ?? {};
      return !(
        condition(d, 'Available')?.status === 'True' &&
        s.observedGeneration === d.metadata.generation &&
        d.spec.replicas === n &&
        s.replicas === n && // no pod of an older ReplicaSet left
        s.updatedReplicas === n &&
        s.availableReplicas === n
      );
    });
    return unsettled.length === 0 || unsettled.map((d) => `${d.metadata.name}: spec ${d.spec.replicas}, status ${JSON.stringify(d.status)}`).join('; ');
  }

  /**
   * What a healthy release looks like on the server: exactly helm template's objects; every
   * Deployment Available at its HPA's minimum; every Service with ready endpoints for each of
   * its pods; every migration Job run to completion and deleted by its hook policy.
   */
  async function expectHealthyRelease(namespace: string, files: string[]): Promise<void> {
    const { objects, hooks } = render(files);
    const onServer = await h.releaseObjects(namespace, RELEASE);
    expect(onServer.map(key).sort()).toEqual(objects.map(key).sort());
    expect(onServer).toHaveLength(objects.length);

    const wanted = wantedReplicas(objects);
    expect(wanted.size).toBeGreaterThan(0);
    await waitUntil(`every Deployment in ${namespace} Available at its HPA minimum`, () => deploymentsSettled(namespace, wanted), 120_000);
    await waitUntil(`every StatefulSet in ${namespace} ready`, () => statefulSetsSettled(namespace, objects), 120_000);
    const pods = podsPerWorkload(objects);

    await waitUntil(
      `every HPA in ${namespace} reporting its minimum`,
      async () => {
        const hpas = await h.list('hpa', namespace, `${INSTANCE}=${RELEASE}`);
        return (
          hpas.length === objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').length &&
          hpas.every((a) => a.status?.currentReplicas === a.spec.minReplicas && a.status?.desiredReplicas === a.spec.minReplicas)
        );
      },
      60_000,
    );

    const services = objects.filter((o) => o.kind === 'Service');
    await waitUntil(
      `every Service in ${namespace} with a ready endpoint per pod`,
      async () => {
        const slices = await h.list('endpointslices', namespace);
        const wrong = services.flatMap((svc) => {
          const mine = slices.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name);
          const ready = new Set(mine.flatMap((s) => (s.endpoints ?? []).filter((e: Obj) => e.conditions?.ready === true).map((e: Obj) => e.targetRef?.name)));
          const ports = new Set(mine.flatMap((s) => (s.ports ?? []).map((p: Obj) => p.name)));
          const ok = ready.size === pods.get(svc.metadata.name) && svc.spec.ports.every((p: Obj) => ports.has(p.name));
          return ok ? [] : [`${svc.metadata.name}: ready ${[...ready].join(",")}; ports ${[...ports].join(",")}; endpoints ${JSON.stringify(mine.map((s) => s.endpoints))}`];
        });
        return wrong.length === 0 || wrong.join('; ');
      },
      60_000,
    );

    // Hook Jobs ran to completion (their events stay) and are gone (hook-succeeded), with their
    // ServiceAccounts.
    const jobs = hooks.filter((o) => o.kind === 'Job').map((j) => j.metadata.name);
    const completed = new Set((await h.completedJobRuns(namespace)).map((r) => r.name));
    expect(jobs.filter((j) => !completed.has(j))).toEqual([]);
    const leftHooks = (await h.objectsIn(namespace, { selector: `${INSTANCE}=${RELEASE}` })).filter((o) => o.metadata.annotations?.['helm.sh/hook']);
    expect(leftHooks.map(key)).toEqual([]);
  }

  /**
   * The Chroma server of the release runs (its StatefulSet pod ready and available, on its bound
   * volume, behind a Service with a ready endpoint) and rag is configured for it: CHROMA_URL in
   * its ConfigMap names that Service, and no Secret supplies another one.
   */
  async function expectChromaServingRag(namespace: string): Promise<void> {
    const sts = await h.kube.kubectlJson(['get', 'statefulset', 'chroma', '-n', namespace]);
    expect(sts.status).toMatchObject({ readyReplicas: 1, availableReplicas: 1 });
    const [pod] = await h.list('pods', namespace, `${INSTANCE}=${RELEASE},app.kubernetes.io/name=chroma`);
    expect(condition(pod, 'Ready')?.status).toBe('True');
    expect(pod.spec.containers[0].readinessProbe.httpGet.path).toBe('/api/v2/heartbeat');
    const claim = await h.kube.kubectlJson(['get', 'pvc', 'data-chroma-0', '-n', namespace]);
    expect(claim.status.phase).toBe('Bound');
    const slices = await h.list('endpointslices', namespace, 'kubernetes.io/service-name=chroma');
    expect(slices.flatMap((s) => (s.endpoints ?? []).filter((e: Obj) => e.conditions?.ready).map((e: Obj) => e.targetRef?.name))).toEqual([pod.metadata.name]);

    const ragEnv = await h.kube.kubectlJson(['get', 'configmap', 'rag-env', '-n', namespace]);
    const service = await h.kube.kubectlJson(['get', 'service', 'chroma', '-n', namespace]);
    expect(ragEnv.data.CHROMA_URL).toBe(`http://${service.metadata.name}:${service.spec.ports[0].port}`);
    const ragPods = await h.list('pods', namespace, `${SERVER},app.kubernetes.io/name=rag`);
    expect(ragPods.length).toBeGreaterThan(0);
    for (const p of ragPods) expect((p.spec.containers[0].env ?? []).map((e: Obj) => e.name)).not.toContain('CHROMA_URL');
  }

  describe('install', () => {
    it(
      'default values: installs under the restricted Pod Security Standard and settles healthy',
      async () => {
        const res = await install('aether-default', []);
        expectSucceeded(res);
        await expectHealthyRelease('aether-default', []);
        // The namespace really enforces the standard: a pod without the chart's security context is refused.
        const probe = await h.kube.kubectl(['run', 'pss-probe', '-n', 'aether-default', '--image=example.invalid/probe', '--restart=Never', '--dry-run=server']);
        expect(probe.status).not.toBe(0);
        expect(probe.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
        // The migrations ran: security and task-manager at least.
        const jobs = render([]).hooks.filter((o) => o.kind === 'Job');
        expect(jobs.length).toBeGreaterThanOrEqual(2);
        await expectChromaServingRag('aether-default');
      },
      CASE_TIMEOUT,
    );

    it(
      'EKS values without the ServiceMonitor CRD: the install fails before creating anything',
      async () => {
        const res = await install('aether-eks', [EKS]);
        expect(res.status).not.toBe(0);
        expect(res.stderr).toMatch(/ServiceMonitor/);
        expect(res.stderr).toMatch(/ensure CRDs are installed first|no matches for kind/);
        // Nothing of the release: no object, no hook, no release record.
        const left = await h.objectsIn('aether-eks');
        expect(left.filter((o) => o.metadata.annotations?.[RELEASE_ANNOTATION] || o.metadata.labels?.[INSTANCE]).map(key)).toEqual([]);
        expect(left.filter((o) => o.metadata.labels?.owner === 'helm').map(key)).toEqual([]);
        expect(await h.list('jobs', 'aether-eks')).toEqual([]);
      },
      CASE_TIMEOUT,
    );

    it(
      'EKS values with the CRD from the prometheus-operator Go module: installs and settles healthy, a ServiceMonitor per service',
      async () => {
        const crds = await h.crdFolder();
        await h.kubectlOk(['apply', '--server-side', '-f', join(crds, 'monitoring.coreos.com_servicemonitors.yaml')]);
        await waitUntil('the ServiceMonitor CRD Established', async () => condition(await h.kube.kubectlJson(['get', 'crd', SERVICE_MONITOR_CRD]), 'Established')?.status === 'True');

        const res = await h.helm(['install', RELEASE, CHART, '-n', 'aether-eks', '-f', EKS, ...WAIT]);
        expectSucceeded(res);
        await expectHealthyRelease('aether-eks', [EKS]);
        const monitors = await h.list('servicemonitors', 'aether-eks');
        const deployments = await h.list('deployments', 'aether-eks');
        expect(monitors.map((m) => m.metadata.name).sort()).toEqual(deployments.map((d) => d.metadata.name).sort());
        // EKS spreads strictly over the three zones.
        const pods = await h.list('pods', 'aether-eks', SERVER);
        const zones = await h.nodeZones();
        for (const dep of deployments) {
          const podZones = pods.filter((p) => p.metadata.labels['app.kubernetes.io/name'] === dep.metadata.name).map((p) => zones.get(p.spec.nodeName));
          expect(new Set(podZones).size).toBe(podZones.length); // 2 replicas, 3 zones: never stacked
        }
      },
      CASE_TIMEOUT,
    );

    it(
      'GKE values: installs and settles healthy; the only server warning is the ingress-class annotation GKE selects its controller by',
      async () => {
        const res = await install('aether-gke', [GKE]);
        expectSucceeded(res);
        // Warnings are seen at all (so "no unknown warning" elsewhere means something).
        expect(res.warnings.some((w) => KNOWN_WARNINGS[0].pattern.test(w))).toBe(true);
        await expectHealthyRelease('aether-gke', [GKE]);
        await expectChromaServingRag('aether-gke');
      },
      CASE_TIMEOUT,
    );
  });

  describe('lifecycle (default values release)', () => {
    const NS = 'aether-default';
    const logLevels = async () =>
      (await h.list('configmaps', NS, `${INSTANCE}=${RELEASE}`)).filter((c) => c.metadata.name.endsWith('-env')).map((c) => c.data.LOG_LEVEL);
    const serverPods = async () => (await h.list('pods', NS, SERVER)).map((p) => p.metadata.name as string);
    const migrationRuns = async () => (await h.completedJobRuns(NS)).length;
    let runsAfterUpgrade = 0;

    it(
      'upgrade with a changed value rolls every pod and runs the pre-upgrade migrations again',
      async () => {
        const podsBefore = await serverPods();
        const runsBefore = await migrationRuns();
        const migrations = render([]).hooks.filter((o) => o.kind === 'Job').length;
        expect(podsBefore.length).toBeGreaterThan(0);
        const startedAt = Date.now();

        const res = await h.helm(['upgrade', RELEASE, CHART, '-n', NS, '--set', 'global.env.LOG_LEVEL=debug', ...WAIT]);
        expectSucceeded(res);
        const status = await revision(NS);
        expect(status.version).toBe(2);
        expect(new Set(await logLevels())).toEqual(new Set(['debug']));
        // Each migration Job ran again, for this revision.
        runsAfterUpgrade = await migrationRuns();
        expect(runsAfterUpgrade).toBe(runsBefore + migrations);
        for (const hook of status.hooks.filter((x: Obj) => x.kind === 'Job')) {
          expect(hook.last_run.phase).toBe('Succeeded');
          expect(Date.parse(hook.last_run.started_at)).toBeGreaterThanOrEqual(startedAt - 1000);
        }
        // Every pod replaced (checksum/env changed the pod template).
        await waitUntil('the old pods gone', async () => (await serverPods()).every((p) => !podsBefore.includes(p)), 120_000);
        await expectHealthyRelease(NS, []);
      },
      CASE_TIMEOUT,
    );

    it(
      'rollback restores the previous revision and runs no migration (the schema stays where the upgrade left it)',
      async () => {
        const podsBefore = await serverPods();
        const res = await h.helm(['rollback', RELEASE, '1', '-n', NS, ...WAIT]);
        expectSucceeded(res);
        expect((await revision(NS)).version).toBe(3);
        expect(new Set(await logLevels())).toEqual(new Set(['info']));
        await waitUntil('the upgraded pods gone', async () => (await serverPods()).every((p) => !podsBefore.includes(p)), 120_000);
        await expectHealthyRelease(NS, []);
        expect(await migrationRuns()).toBe(runsAfterUpgrade);
      },
      CASE_TIMEOUT,
    );

    it(
      'helm test: every service has a readyz test Pod, admitted under the restricted standard, that completes (kwok does not run it)',
      async () => {
        const res = await h.helm(['test', RELEASE, '-n', NS, '--timeout', '3m']);
        expectSucceeded(res);
        const services = render([]).objects.filter((o) => o.kind === 'Deployment').map((d) => d.metadata.name);
        for (const name of services) expect(res.stdout).toMatch(new RegExp(`TEST SUITE:\\s+${name}-test-readyz[\\s\\S]*?Phase:\\s+Succeeded`));
        // hook-succeeded: the test Pods and their NetworkPolicies are gone again.
        await waitUntil('the test hooks removed', async () => (await h.list('pods', NS, `${INSTANCE}=${RELEASE},app.kubernetes.io/component=test`)).length === 0, 60_000);
        expect((await h.list('networkpolicies', NS)).filter((p) => p.metadata.annotations?.['helm.sh/hook'])).toEqual([]);
      },
      CASE_TIMEOUT,
    );

    it(
      'uninstall leaves nothing labelled with the release behind but the Chroma data claim (kept on purpose), which can then be deleted',
      async () => {
        expect((await h.objectsIn(NS, { selector: `${INSTANCE}=${RELEASE}` })).length).toBeGreaterThan(0);
        const res = await h.helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '3m']);
        expectSucceeded(res);
        const ofRelease = (o: K8sObject) => o.metadata.labels?.[INSTANCE] === RELEASE || o.metadata.annotations?.[RELEASE_ANNOTATION] || o.metadata.labels?.owner === 'helm';
        await waitUntil(
          'no object of the release left but the data claim',
          async () => {
            const left = (await h.objectsIn(NS)).filter(ofRelease).map(key);
            return (left.length === 1 && left[0] === 'PersistentVolumeClaim/data-chroma-0') || left.join(', ');
          },
          120_000,
        );
        // persistentVolumeClaimRetentionPolicy Retain: the vectors survive helm uninstall.
        expect((await h.kube.kubectlJson(['get', 'pvc', 'data-chroma-0', '-n', NS])).status.phase).toBe('Bound');
        await h.kubectlOk(['delete', 'pvc', 'data-chroma-0', '-n', NS, '--wait']);
        expect((await h.objectsIn(NS)).filter(ofRelease).map(key)).toEqual([]);
      },
      CASE_TIMEOUT,
    );
  });

  describe('what the API server must refuse', () => {
    it(
      'requests above limits: the API server rejects the objects and the install fails',
      async () => {
        const tooBig = values({ defaults: { resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1', memory: '512Mi' } } } });
        const res = await install('aether-limits', [tooBig], ['--wait', '--timeout', '1m']);
        expect(res.status).not.toBe(0);
        expect(res.stderr).toMatch(/must be less than or equal to (cpu|memory) limit/);
        expect(await h.list('deployments', 'aether-limits')).toEqual([]);
        // No service pod (Chroma's StatefulSet has its own resources, not the defaults).
        expect(await h.list('pods', 'aether-limits', SERVER)).toEqual([]);
      },
      CASE_TIMEOUT,
    );

    it(
      'a failing migration Job fails the install, and the Job and its pod are kept for inspection',
      async () => {
        // kwok fails every container of this image (scripts/k8s/kwok-stages.yaml).
        const failing = values({ services: { security: { image: { repository: 'kwok.invalid/exit-1', tag: 'latest' }, migrations: { backoffLimit: 0 } } } });
        const res = await install('aether-migration', [failing], ['--wait', '--timeout', '2m']);
        expect(res.status).not.toBe(0);
        expect(res.stderr).toMatch(/security-migrate/);
        expect(res.stderr).toMatch(/BackoffLimitExceeded|job failed/i);
        const job = await h.kube.kubectlJson(['get', 'job', 'security-migrate', '-n', 'aether-migration']);
        expect(condition(job, 'Failed')?.status).toBe('True');
        const pods = await h.list('pods', 'aether-migration', 'batch.kubernetes.io/job-name=security-migrate');
        expect(pods.map((p) => p.status.phase)).toContain('Failed');
        // The release stopped at its pre-install hook: no server was started.
        expect(await h.list('deployments', 'aether-migration')).toEqual([]);
        expect((await revision('aether-migration')).info.status).toBe('failed');
      },
      CASE_TIMEOUT,
    );

    it(
      'EKS zone spread (DoNotSchedule) on nodes without zone labels schedules nothing; ScheduleAnyway there does',
      async () => {
        await h.kube.addNodes([1, 2].map((i) => ({ name: `kwok-unzoned-${i}`, labels: { 'aether.test/pool': 'unzoned' } })));
        await waitUntil('the unzoned nodes Ready', async () => {
          const nodes = await h.list('nodes', '', 'aether.test/pool=unzoned');
          return nodes.length === 2 && nodes.every((n) => condition(n, 'Ready')?.status === 'True');
        });
        const unzoned = values({ defaults: { nodeSelector: { 'aether.test/pool': 'unzoned' } } });
        const NS = 'aether-unzoned';
        // No --wait: the objects are valid, the pods can never be placed.
        const res = await install(NS, [EKS, unzoned], ['--timeout', '2m']);
        expectSucceeded(res);
        const deployments = render([EKS, unzoned]).objects.filter((o) => o.kind === 'Deployment');
        await waitUntil(
          'every server pod reported unschedulable by the topology spread',
          async () => {
            const pods = await h.list('pods', NS, SERVER);
            const names = new Set(pods.map((p) => p.metadata.labels['app.kubernetes.io/name']));
            return (
              deployments.every((d) => names.has(d.metadata.name)) &&
              pods.every((p) => {
                const scheduled = condition(p, 'PodScheduled');
                return !p.spec.nodeName && scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && /topology spread constraints/.test(scheduled.message);
              })
            );
          },
          60_000,
        );

        const anyway = values({ defaults: { topologySpread: { whenUnsatisfiable: 'ScheduleAnyway' } } });
        const upgraded = await h.helm(['upgrade', RELEASE, CHART, '-n', NS, '-f', EKS, '-f', unzoned, '-f', anyway, ...WAIT]);
        expectSucceeded(upgraded);
        const rendered = render([EKS, unzoned, anyway]).objects;
        await waitUntil('the release settled on the unzoned nodes', () => deploymentsSettled(NS, wantedReplicas(rendered)), 120_000);
        const pods = (await h.list('pods', NS, SERVER)).filter((p) => !p.metadata.deletionTimestamp);
        expect(pods.length).toBeGreaterThan(0);
        for (const p of pods) expect(p.spec.nodeName).toMatch(/^kwok-unzoned-/);
      },
      CASE_TIMEOUT,
    );
  });
});
