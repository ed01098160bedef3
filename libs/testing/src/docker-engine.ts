// A real Docker engine for tests: a private dockerd (own data root, exec root, unix socket and
// pid file under one temp folder, so it never touches an engine already running on the machine)
// and a local image made without any registry: `docker import` of a tarball holding a static
// busybox and its applet links (Debian's busybox-static). Stopped by its pid.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync, symlinkSync, mkdirSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCommand, type CommandResult } from './kube-control-plane';

const execFileAsync = promisify(execFile);

/** The image every test container runs: busybox (sh, echo, sleep, ...) at /bin. */
export const BUSYBOX_TEST_IMAGE = 'aether-test/busybox:local';

export interface DockerEngine {
  /** DOCKER_HOST value for clients: unix://<dir>/docker.sock. */
  dockerHost: string;
  socketPath: string;
  dir: string;
  image: string;
  /** Runs the docker CLI against this engine (never throws on a non-zero exit). */
  docker(args: string[], opts?: { timeoutMs?: number }): Promise<CommandResult>;
  /** docker …, throwing with its stderr on failure; answers stdout trimmed. */
  dockerOk(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function commandExists(cmd: string): Promise<boolean> {
  try {
    await execFileAsync('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian's docker.io and busybox-static when missing (CI machines start without them). */
export async function ensureDockerPackages(): Promise<void> {
  const missing: string[] = [];
  if (!(await commandExists('dockerd'))) missing.push('docker.io');
  if (!existsSync('/bin/busybox') || !readFileSync('/bin/busybox').subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) missing.push('busybox-static');
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = await runCommand('apt-get', ['install', '-y', '-qq', ...missing], { env, timeoutMs: 600_000 });
  if (install.status === 0) return;
  await runCommand('apt-get', ['update', '-qq'], { env, timeoutMs: 600_000 });
  const retry = await runCommand('apt-get', ['install', '-y', '-qq', ...missing], { env, timeoutMs: 600_000 });
  if (retry.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed: ${retry.stderr.slice(-2000)}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the busybox image inside `engine` from the machine's static busybox (no registry needed). */
async function importBusyboxImage(engine: Pick<DockerEngine, 'dockerHost' | 'dir'>): Promise<void> {
  const root = join(engine.dir, 'rootfs');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const { stdout } = await execFileAsync('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').map((s) => s.trim())) {
    if (applet && applet !== 'busybox' && /^[\w.[-]+$/.test(applet)) symlinkSync('busybox', join(root, 'bin', applet));
  }
  const tarball = join(engine.dir, 'busybox.tar');
  await execFileAsync('tar', ['-C', root, '-cf', tarball, '.']);
  await execFileAsync('docker', ['-H', engine.dockerHost, 'import', '-c', 'ENV PATH=/bin', '-c', 'CMD ["/bin/sh"]', tarball, BUSYBOX_TEST_IMAGE]);
  rmSync(root, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}

/**
 * Starts a private dockerd (~2 s) with the busybox image imported. Containers get no bridge
 * network (`--bridge=none`, no iptables changes), so several engines can run side by side on one
 * machine; they still have loopback. Call stop() in afterAll.
 */
export async function startDockerEngine(opts: { timeoutMs?: number } = {}): Promise<DockerEngine> {
  await ensureDockerPackages();
  const dir = mkdtempSync(join(tmpdir(), 'aether-dockerd.'));
  const socketPath = join(dir, 'docker.sock');
  const dockerHost = `unix://${socketPath}`;
  const pidFile = join(dir, 'dockerd.pid');
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', pidFile,
      '--host', dockerHost,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--storage-driver=vfs',
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  child.unref();
  const pid = child.pid!;
  const docker = (args: string[], o: { timeoutMs?: number } = {}) => runCommand('docker', ['-H', dockerHost, ...args], { timeoutMs: o.timeoutMs ?? 60_000 });
  const stop = async () => {
    // Containers first, at once: dockerd would otherwise give each its 10 s stop timeout.
    const ids = (await docker(['ps', '-aq'], { timeoutMs: 10_000 }).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await docker(['rm', '-f', ...ids], { timeoutMs: 30_000 }).catch(() => undefined);
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 20 && alive(pid); i++) await sleep(100);
    // vfs layers are plain folders: nothing stays mounted once dockerd has gone.
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (!alive(pid)) {
      const text = existsSync(join(dir, 'dockerd.log')) ? readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-3000) : '';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`dockerd exited at start-up: ${text}`);
    }
    if ((await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 }).catch(() => undefined))?.status === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('dockerd did not answer in time');
    }
    await sleep(200);
  }
  const engine: DockerEngine = {
    dockerHost,
    socketPath,
    dir,
    image: BUSYBOX_TEST_IMAGE,
    docker,
    dockerOk: async (args) => {
      const res = await docker(args);
      if (res.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${res.stderr}`);
      return res.stdout.trim();
    },
    stop,
  };
  try {
    await importBusyboxImage(engine);
  } catch (err) {
    await stop();
    throw err;
  }
  return engine;
}
