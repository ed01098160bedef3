// Runs the real Compose parser (`docker-compose config`, Debian's docker-compose package, or the
// `docker compose` v2 plugin; scripts/ensure-compose.sh installs one) and normalises the
// differences between their outputs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const ROOT = resolve(__dirname, '../..');
export const ENV_EXAMPLE = join(ROOT, '.env.example');
export const BASE = join(ROOT, 'docker-compose.yml');
export const PROD = join(ROOT, 'docker-compose.prod.yml');
export const PROFILES = ['admin', 'observability'];
export const STORES = ['postgres', 'mongo', 'redis', 'rabbitmq', 'chroma'];

export type Obj = Record<string, any>;
export interface Port {
  hostIp: string;
  published: string;
  target: number;
}

let command: string[] | undefined;

/** The compose CLI to use, from scripts/ensure-compose.sh (which installs Debian's docker-compose
 * when no parser is there); throws (the test fails, never skips) when none can be had. */
export function composeCommand(): string[] {
  if (command) return command;
  const res = spawnSync('bash', [join(ROOT, 'scripts/ensure-compose.sh')], { encoding: 'utf8', timeout: 10 * 60_000 });
  const line = res.stdout.trim().split('\n').pop();
  if (res.status !== 0 || !line) {
    throw new Error(`a Compose parser is required: scripts/ensure-compose.sh failed (${res.status}): ${res.stderr.slice(-2000)}`);
  }
  return (command = line.split(' '));
}

/** Variables defined in .env.example. */
export function envExample(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(ENV_EXAMPLE, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** `compose --env-file .env.example [-f ...] config` with every profile on, in an environment
 * cleared of the variables .env.example defines (so the caller's shell cannot leak in). */
export function composeConfig(files: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string; config?: Obj } {
  const [bin, ...pre] = composeCommand();
  const cleanEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(envExample())) delete cleanEnv[k];
  const args = [...pre, '--env-file', ENV_EXAMPLE, '--project-directory', ROOT, ...PROFILES.flatMap((p) => ['--profile', p]), ...files.flatMap((f) => ['-f', f]), 'config'];
  const res = spawnSync(bin, args, { encoding: 'utf8', cwd: ROOT, env: { ...cleanEnv, ...env } });
  const out = { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
  return out.status === 0 ? { ...out, config: parseYaml(res.stdout) } : out;
}

/** Published ports of a service, from either output format. */
export function publishedPorts(svc: Obj): Port[] {
  return (svc.ports ?? []).map((p: string | Obj) => {
    if (typeof p === 'object') return { hostIp: p.host_ip ?? '0.0.0.0', published: String(p.published ?? ''), target: Number(p.target) };
    // v1: "[host_ip:]published:target[/proto]"
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts.pop());
    const published = parts.pop() ?? '';
    return { hostIp: parts.pop() ?? '0.0.0.0', published, target };
  });
}

export function networksOf(svc: Obj): string[] {
  const n = svc.networks ?? {};
  return (Array.isArray(n) ? n : Object.keys(n)).sort();
}

export function profilesOf(svc: Obj): string[] {
  return svc.profiles ?? [];
}

/** Environment as a map, from either output format (map or KEY=VALUE list). */
export function environmentOf(svc: Obj): Record<string, string> {
  const e = svc.environment ?? {};
  if (!Array.isArray(e)) return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v == null ? '' : String(v)]));
  return Object.fromEntries(e.map((kv: string) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]));
}

/** The app services: built from deploy/Dockerfile. */
export function appServices(config: Obj): [string, Obj][] {
  return Object.entries(config.services as Obj).filter(([, s]) => /deploy\/Dockerfile$/.test(s.build?.dockerfile ?? ''));
}

/** Hosts an app talks to, read from its connection settings (URLs and host:port values). */
export function peersOf(env: Record<string, string>): string[] {
  const hosts = new Set<string>();
  for (const [k, v] of Object.entries(env)) {
    if (!v) continue;
    const url = /^[a-z+]+:\/\/(?:[^@/]*@)?([^:/?]+)/.exec(v);
    if (url) hosts.add(url[1]);
    else if (/_GRPC_URL$/.test(k)) hosts.add(v.split(':')[0]);
  }
  return [...hosts].sort();
}
