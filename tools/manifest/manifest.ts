// The services manifest (services.yaml): loading, validation and the conventions every derived
// file shares (names, ports, start order). Renderers live in render.ts.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { YAMLMap, isMap as isYamlMap, parseDocument } from 'yaml';

export const WORKSPACE_ROOT = resolve(__dirname, '../..');
export const MANIFEST_FILE = 'services.yaml';

export const STORES = ['postgres', 'mongodb', 'redis', 'rabbitmq', 'chroma'] as const;
export type Store = (typeof STORES)[number];

/** Container ports of every pod / compose container (docs/conventions.md). */
export const CONTAINER_PORTS = { grpc: 50051, http: 9090 } as const;
export const JWKS_PATH = '/.well-known/jwks.json';

export interface EnvSetting {
  /** Compose and Helm default. */
  value: string;
  /** Dev runner default, when it differs. */
  dev?: string;
}

export interface SecretSetting {
  secret: string;
  key: string;
  /** Helm: the Secret key may be absent. */
  optional?: boolean;
  /** Compose: refuse to start without it. */
  required?: boolean;
  /** Dev runner default. */
  dev?: string;
}

export interface ServiceSpec {
  name: string;
  ports: { http: number; grpc?: number };
  public: boolean;
  issuer: boolean;
  auth: boolean;
  calls: string[];
  stores: Store[];
  env: Record<string, EnvSetting>;
  secrets: Record<string, SecretSetting>;
  helm: Record<string, unknown>;
  composeProd: Record<string, unknown>;
  /** Keys of its docker-compose.yml block beyond the derived ones (e.g. volumes). */
  compose: Record<string, unknown>;
  /** Files mounted read-only into its containers: absolute mount path → workspace file (Helm: a ConfigMap). */
  files: Record<string, string>;
  /** The entry's YAML nodes, so derived files keep its comments and flow style. */
  source: Partial<Record<'helm' | 'composeProd' | 'compose' | 'secrets' | 'env', YAMLMap>>;
}

export interface Manifest {
  services: ServiceSpec[];
}

const SERVICE_KEYS = ['ports', 'public', 'issuer', 'auth', 'calls', 'stores', 'env', 'secrets', 'files', 'helm', 'composeProd', 'compose'];
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
/** An absolute container path of a file (no "..", no trailing "/"). */
const MOUNT_PATH = /^(\/[A-Za-z0-9._-]+)+$/;

/** `task-manager` → `task_manager` (proto packages, databases). */
export const snake = (name: string): string => name.replace(/-/g, '_');
/** `task-manager` → `TASK_MANAGER` (env prefixes). */
export const envPrefix = (name: string): string => snake(name).toUpperCase();
export const grpcUrlEnv = (name: string): string => `${envPrefix(name)}_GRPC_URL`;

const isMap = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates manifest text; throws one error listing every problem. */
export function parseManifest(text: string): Manifest {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${MANIFEST_FILE}: ${doc.errors[0].message}`);
  const raw = doc.toJS() as unknown;
  const errors: string[] = [];
  if (!isMap(raw) || !isMap(raw.services)) throw new Error(`${MANIFEST_FILE}: expected a top-level "services" map`);
  const services: ServiceSpec[] = [];
  for (const [name, entry] of Object.entries(raw.services)) {
    const at = `services.${name}`;
    if (!NAME.test(name)) errors.push(`${at}: a service name is lower-case words joined by "-"`);
    if (!isMap(entry)) {
      errors.push(`${at}: expected a map`);
      continue;
    }
    for (const k of Object.keys(entry)) if (!SERVICE_KEYS.includes(k)) errors.push(`${at}.${k}: unknown key (known: ${SERVICE_KEYS.join(', ')})`);
    const ports = entry.ports;
    if (!isMap(ports) || !Number.isInteger(ports.http)) errors.push(`${at}.ports.http: required port number`);
    if (isMap(ports) && ports.grpc !== undefined && !Number.isInteger(ports.grpc)) errors.push(`${at}.ports.grpc: a port number`);
    const stores = entry.stores ?? [];
    if (!Array.isArray(stores)) errors.push(`${at}.stores: a list of ${STORES.join(', ')}`);
    else for (const s of stores) if (!STORES.includes(s)) errors.push(`${at}.stores: unknown store "${s}" (known: ${STORES.join(', ')})`);
    const env = entry.env ?? {};
    for (const [k, v] of Object.entries(isMap(env) ? env : {})) {
      if (!ENV_NAME.test(k)) errors.push(`${at}.env.${k}: not an environment variable name`);
      if (!isMap(v) || typeof v.value !== 'string') errors.push(`${at}.env.${k}: expected { value: <string>, dev?: <string> }`);
    }
    const secrets = entry.secrets ?? {};
    for (const [k, v] of Object.entries(isMap(secrets) ? secrets : {})) {
      if (!ENV_NAME.test(k)) errors.push(`${at}.secrets.${k}: not an environment variable name`);
      if (!isMap(v) || typeof v.secret !== 'string' || typeof v.key !== 'string') errors.push(`${at}.secrets.${k}: expected { secret, key }`);
    }
    const files = entry.files ?? {};
    if (!isMap(files)) errors.push(`${at}.files: expected a map of mount path → workspace file`);
    for (const [path, file] of Object.entries(isMap(files) ? files : {})) {
      if (!MOUNT_PATH.test(path) || path.split('/').includes('..')) errors.push(`${at}.files.${path}: not an absolute file path`);
      if (typeof file !== 'string' || file.startsWith('/') || file.split('/').includes('..')) errors.push(`${at}.files.${path}: expected a workspace-relative file`);
    }
    services.push({
      name,
      ports: { http: ports?.http, ...(ports?.grpc !== undefined ? { grpc: ports.grpc } : {}) },
      public: entry.public === true,
      issuer: entry.issuer === true,
      auth: entry.auth === true,
      calls: Array.isArray(entry.calls) ? entry.calls : [],
      stores: Array.isArray(stores) ? stores : [],
      env: isMap(env) ? env : {},
      secrets: isMap(secrets) ? secrets : {},
      helm: isMap(entry.helm) ? entry.helm : {},
      composeProd: isMap(entry.composeProd) ? entry.composeProd : {},
      compose: isMap(entry.compose) ? entry.compose : {},
      files: isMap(files) ? files : {},
      source: Object.fromEntries(
        (['helm', 'composeProd', 'compose', 'secrets', 'env'] as const)
          .map((k) => [k, doc.getIn(['services', name, k], true)])
          .filter(([, node]) => isYamlMap(node)),
      ),
    });
  }
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const s of services) {
    for (const peer of s.calls) {
      const callee = byName.get(peer);
      if (!callee) errors.push(`services.${s.name}.calls: unknown service "${peer}"`);
      else if (callee.ports.grpc === undefined) errors.push(`services.${s.name}.calls: "${peer}" has no gRPC server (ports.grpc)`);
    }
  }
  const issuers = services.filter((s) => s.issuer);
  if (issuers.length !== 1) errors.push(`exactly one service must be the token issuer (issuer: true); found ${issuers.length}`);
  const taken = new Map<number, string>();
  for (const s of services) {
    for (const p of [s.ports.http, s.ports.grpc]) {
      if (p === undefined) continue;
      if (taken.has(p)) errors.push(`services.${s.name}.ports: ${p} is already used by ${taken.get(p)}`);
      taken.set(p, s.name);
    }
  }
  if (errors.length) throw new Error(`${MANIFEST_FILE} is invalid:\n  ${errors.join('\n  ')}`);
  return { services };
}

export function loadManifest(root = WORKSPACE_ROOT): Manifest {
  return parseManifest(readFileSync(join(root, MANIFEST_FILE), 'utf8'));
}

export function issuerOf(manifest: Manifest): ServiceSpec {
  return manifest.services.find((s) => s.issuer)!;
}

/** What a service waits for before it starts: the issuer (for its JWKS) and every peer it calls. */
export function serviceDependencies(manifest: Manifest, service: ServiceSpec): string[] {
  const deps = new Set<string>();
  if (service.auth && !service.issuer) deps.add(issuerOf(manifest).name);
  for (const peer of service.calls) deps.add(peer);
  return [...deps];
}

/** Services in start order: each after the ones it depends on, otherwise in manifest order. */
export function startOrder(manifest: Manifest): ServiceSpec[] {
  const byName = new Map(manifest.services.map((s) => [s.name, s]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: ServiceSpec[] = [];
  const visit = (s: ServiceSpec, path: string[]) => {
    if (done.has(s.name)) return;
    if (visiting.has(s.name)) throw new Error(`${MANIFEST_FILE}: dependency cycle ${[...path, s.name].join(' → ')}`);
    visiting.add(s.name);
    for (const dep of serviceDependencies(manifest, s)) visit(byName.get(dep)!, [...path, s.name]);
    visiting.delete(s.name);
    done.add(s.name);
    order.push(s);
  };
  for (const s of manifest.services) visit(s, []);
  return order;
}
