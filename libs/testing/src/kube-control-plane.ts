// A real Kubernetes control plane for tests (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok for simulated nodes and pod lifecycles), through scripts/k8s-up.sh and
// scripts/k8s-down.sh; the binaries come from scripts/ensure-k8s.sh (built once, cached).
// Used by the chart install tests (deploy/test/helm-install.spec.ts) and meant for any suite that
// needs an API server (docker-manager's Kubernetes backend).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const SCRIPTS = join(ROOT, 'scripts');

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never throws on a non-zero exit; throws on a timeout). */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs} ms: ${Buffer.concat(err).toString().slice(-2000)}`));
        }, opts.timeoutMs)
      : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ status: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    // A command that exits before reading its input (docker CLI) makes this write fail with EPIPE;
    // unhandled, that 'error' would crash the caller. Its exit status says what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** A simulated node: `zone` sets topology.kubernetes.io/zone (none = no topology labels). */
export interface KubeNode {
  name: string;
  zone?: string;
  labels?: Record<string, string>;
}

export interface KubeControlPlane {
  /** State folder: kubeconfig, pki/, logs/<component>.log, pids/. */
  dir: string;
  kubeconfig: string;
  /** Folder of kubectl, kube-apiserver, etcd, kwok, ... */
  binDir: string;
  apiUrl: string;
  /** process.env with KUBECONFIG pointing at this control plane (for helm, kubectl, clients). */
  env: NodeJS.ProcessEnv;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<CommandResult>;
  /** kubectl … -o json, parsed; throws with kubectl's stderr on failure. */
  kubectlJson<T = any>(args: string[]): Promise<T>;
  addNodes(nodes: KubeNode[]): Promise<void>;
  stop(): Promise<void>;
}

const BUILD_TIMEOUT_MS = 60 * 60_000;

/** Builds (the first time, minutes) or finds the cached control-plane binaries; returns their folder. */
export async function ensureKubeBinaries(): Promise<string> {
  const res = await runCommand('bash', [join(SCRIPTS, 'ensure-k8s.sh')], { timeoutMs: BUILD_TIMEOUT_MS });
  const dir = res.stdout.trim().split('\n').pop();
  if (res.status !== 0 || !dir) throw new Error(`scripts/ensure-k8s.sh failed (${res.status}): ${res.stderr.slice(-3000)}`);
  return dir;
}

function nodeSpec(node: KubeNode): string {
  const parts = [node.zone ? `${node.name}=${node.zone}` : node.name, ...Object.entries(node.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
  for (const p of parts) if (/[\s,]/.test(p)) throw new Error(`node spec part ${JSON.stringify(p)} may not contain spaces or commas`);
  return parts.join(',');
}

/** The default nodes: one per zone of three. */
export const ZONED_NODES: KubeNode[] = ['a', 'b', 'c'].map((z) => ({ name: `kwok-${z}`, zone: `zone-${z}` }));

/**
 * Starts a control plane on free 127.0.0.1 ports (~9 s once the binaries are cached; building
 * them the first time takes minutes). It stops by itself if this process dies without stop().
 */
export async function startKubeControlPlane(opts: { nodes?: KubeNode[]; timeoutMs?: number } = {}): Promise<KubeControlPlane> {
  await ensureKubeBinaries();
  const nodes = opts.nodes ?? ZONED_NODES;
  const res = await runCommand('bash', [join(SCRIPTS, 'k8s-up.sh')], {
    env: { ...process.env, K8S_NODES: nodes.map(nodeSpec).join(' '), K8S_WATCH_PID: String(process.pid) },
    timeoutMs: opts.timeoutMs ?? 180_000,
  });
  const dir = res.stdout.trim().split('\n').pop();
  if (res.status !== 0 || !dir) throw new Error(`scripts/k8s-up.sh failed (${res.status}): ${res.stderr.slice(-4000)}`);
  const vars = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: vars.KUBECONFIG };
  const kubectlPath = join(vars.K8S_BIN_DIR, 'kubectl');
  let stopped = false;

  const plane: KubeControlPlane = {
    dir,
    kubeconfig: vars.KUBECONFIG,
    binDir: vars.K8S_BIN_DIR,
    apiUrl: vars.K8S_API_URL,
    env,
    kubectl: (args, o = {}) =>
      runCommand(kubectlPath, ['--kubeconfig', vars.KUBECONFIG, ...args], { env, input: o.input, timeoutMs: o.timeoutMs ?? 60_000 }),
    kubectlJson: async (args) => {
      const r = await plane.kubectl([...args, '-o', 'json']);
      if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    addNodes: async (extra) => {
      const r = await runCommand('bash', [join(SCRIPTS, 'k8s/add-nodes.sh'), dir, ...extra.map(nodeSpec)], { env, timeoutMs: 60_000 });
      if (r.status !== 0) throw new Error(`adding nodes failed: ${r.stderr}`);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await runCommand('bash', [join(SCRIPTS, 'k8s-down.sh'), dir], { timeoutMs: 60_000 });
    },
  };
  return plane;
}
