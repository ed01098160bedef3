// `npx nx g @aether/tools:service` end to end, in a throw-away copy of the workspace (never in the
// shared tree: other runs build and test there): generate a PostgreSQL service, check everything
// that derives from the manifest knows it, build it, start it as a process, get 200 from /readyz,
// run its generated smoke test, and remove the copy.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createTempDatabase, freePort, type TempResource, TestIdentities } from '@aether/testing';
import { WORKSPACE_ROOT } from '../../manifest/manifest';

const NAME = 'probe-svc';
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', CI: 'true' };

/** The workspace's source files (tracked and new, never ignored ones: no dist, tmp, node_modules). */
function copyWorkspace(to: string): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    const from = join(WORKSPACE_ROOT, file);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(from, join(to, file), { dereference: false, verbatimSymlinks: true });
  }
  symlinkSync(join(WORKSPACE_ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

function run(cwd: string, cmd: string, args: string[], timeout = 5 * 60_000): string {
  const res = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${res.status ?? res.signal}):\n${res.stdout.slice(-4000)}\n${res.stderr.slice(-4000)}`);
  return res.stdout;
}

async function waitForReady(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${NAME} exited during start-up (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return res.status;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${NAME} not ready at ${url}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('nx g @aether/tools:service', () => {
  let copy: string;
  let db: TempResource | undefined;
  let identities: TestIdentities | undefined;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'aether-generator-'));
    copyWorkspace(copy);
    run(copy, 'npx', ['nx', 'g', '@aether/tools:service', NAME, '--store=postgres', '--no-interactive']);
  }, 10 * 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await db?.drop();
    await identities?.stop();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('writes the app, its contract and its manifest entry, and every derived file follows', () => {
    for (const file of [
      `apps/${NAME}/src/main.ts`,
      `apps/${NAME}/src/service.ts`,
      `apps/${NAME}/src/config/${NAME}.env.ts`,
      `apps/${NAME}/src/${NAME}.module.ts`,
      `apps/${NAME}/src/status/status.grpc.controller.ts`,
      `apps/${NAME}/src/database/database.module.ts`,
      `apps/${NAME}/test/${NAME}.spec.ts`,
      `apps/${NAME}/project.json`,
      'proto/aether/probe_svc/v1/probe_svc.proto',
    ]) {
      expect({ file, exists: existsSync(join(copy, file)) }).toEqual({ file, exists: true });
    }
    const manifest = parseYaml(readFileSync(join(copy, 'services.yaml'), 'utf8'));
    expect(manifest.services[NAME]).toEqual({ ports: { grpc: expect.any(Number), http: expect.any(Number) }, auth: true, stores: ['postgres'] });
    // The derived files are current (the same check CI runs), and they name the new service.
    run(copy, 'npx', ['ts-node', '-T', 'tools/manifest/generate.ts', '--check']);
    run(copy, 'npx', ['ts-node', '-T', '-r', 'tsconfig-paths/register', 'tools/env-docs/generate.ts', '--check']);
    expect(readFileSync(join(copy, 'scripts/dev.sh'), 'utf8')).toContain(`start ${NAME} ${manifest.services[NAME].ports.http} `);
    expect(readFileSync(join(copy, 'docs/conventions.md'), 'utf8')).toContain(`| ${NAME} | ${manifest.services[NAME].ports.grpc} | ${manifest.services[NAME].ports.http} |`);
    const compose = parseYaml(readFileSync(join(copy, 'docker-compose.yml'), 'utf8'), { merge: true });
    expect(compose.services[NAME].environment.DATABASE_URL).toMatch(/@postgres:5432\/probe_svc$/);
    expect(readFileSync(join(copy, 'deploy/prometheus/prometheus.yml'), 'utf8')).toContain(`'${NAME}:9090'`);
    expect(parseYaml(readFileSync(join(copy, 'helm/aether/values.yaml'), 'utf8')).services[NAME].migrations).toEqual({ enabled: true });
    expect(readFileSync(join(copy, 'README.md'), 'utf8')).toMatch(new RegExp(`### ${NAME}\\n\\n<!-- generated \\(env:${NAME}\\)[^\\n]*\\n\\| variable[\\s\\S]*\\| \`DATABASE_URL\` \\| required`));
  });

  it('builds, starts as a process and answers 200 on /readyz, then stops cleanly', async () => {
    run(copy, 'npx', ['nx', 'run', `${NAME}:build`, '--outputStyle=static']);
    db = await createTempDatabase('probe_svc');
    identities = await new TestIdentities().start();
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    let out = '';
    child = spawn(process.execPath, [join(copy, `dist/apps/${NAME}/src/main.bundle.js`)], {
      cwd: copy,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        BIND_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        GRPC_PORT: String(grpcPort),
        DATABASE_URL: db.url,
        AUTH_JWKS_URL: identities.jwksUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    expect(await waitForReady(`http://127.0.0.1:${httpPort}/readyz`, child, () => out)).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 10 * 60_000);

  it('passes the chart and compose checks with the new service in them', () => {
    // The shared tree's helm (built once by scripts/ensure-helm.sh), not a new build in the copy.
    const helm = run(WORKSPACE_ROOT, 'bash', ['scripts/ensure-helm.sh'], 20 * 60_000).trim().split('\n').pop()!;
    const res = spawnSync('npx', ['jest', 'helm/test/chart.spec.ts', 'helm/test/extend.spec.ts', 'deploy/test/compose.spec.ts', '--ci', '--maxWorkers=1', '--json'], {
      cwd: copy,
      env: { ...env, HELM_BIN: helm },
      encoding: 'utf8',
      timeout: 5 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(res.stdout);
    const failures = result.testResults.flatMap((t: any) => t.assertionResults.filter((a: any) => a.status === 'failed').map((a: any) => `${a.fullName}: ${a.failureMessages[0]?.slice(0, 500)}`));
    expect(failures).toEqual([]);
    expect(result.numPassedTests).toBeGreaterThan(50);
  }, 10 * 60_000);

  it('lints and type-checks', () => {
    run(copy, 'npx', ['eslint', `apps/${NAME}`, '--max-warnings=0']);
    run(copy, 'npx', ['tsc', '-p', `apps/${NAME}/tsconfig.json`, '--noEmit']);
  }, 5 * 60_000);

  it('passes its generated smoke test', () => {
    const out = run(copy, 'npx', ['jest', `apps/${NAME}/`, '--ci', '--maxWorkers=1', '--json']);
    const result = JSON.parse(out);
    expect(result.numFailedTests).toBe(0);
    expect(result.numPassedTests).toBeGreaterThanOrEqual(2);
  }, 5 * 60_000);
});
