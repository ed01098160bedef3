// Renders the parts of other files that the services manifest owns. Each derived part is a
// region between "generated from services.yaml" markers, so the hand-written rest of a file
// (comments, infrastructure, tests' expectations) stays where it is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, Pair, Scalar, YAMLMap, isMap, isScalar, stringify, visit } from 'yaml';
import {
  CONTAINER_PORTS,
  JWKS_PATH,
  MANIFEST_FILE,
  Manifest,
  ServiceSpec,
  Store,
  envPrefix,
  grpcUrlEnv,
  issuerOf,
  serviceDependencies,
  snake,
  startOrder,
} from './manifest';

type CommentStyle = '#' | '//';

export interface Region {
  file: string;
  id: string;
  comment: CommentStyle;
  /** Lines between the markers (no trailing newline). */
  body: string;
}

const START = (c: CommentStyle, id: string) => `${c} >>> generated from ${MANIFEST_FILE} (${id}) by \`npm run manifest:gen\` — do not edit`;
const END = (c: CommentStyle, id: string) => `${c} <<< end of generated (${id})`;

/** `text` with the region's body replaced; throws when the markers are missing. */
export function applyRegion(text: string, region: Region): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === START(region.comment, region.id));
  const end = lines.findIndex((l, i) => i > start && l.trim() === END(region.comment, region.id));
  if (start < 0 || end < 0) {
    throw new Error(`${region.file}: markers of generated region "${region.id}" are missing:\n${START(region.comment, region.id)}\n…\n${END(region.comment, region.id)}`);
  }
  return [...lines.slice(0, start + 1), ...(region.body ? region.body.split('\n') : []), ...lines.slice(end)].join('\n');
}

/** The marker lines of a region, for files that do not have them yet. */
export function regionMarkers(comment: CommentStyle, id: string, indent = ''): string {
  return `${indent}${START(comment, id)}\n${indent}${END(comment, id)}`;
}

const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');
/** One YAML scalar, quoted when needed. */
const scalar = (v: string | number | boolean) => stringify(v, { lineWidth: 0 }).trimEnd();

// ───────────────────────────── docker compose ─────────────────────────────

const COMPOSE_STORE: Record<Store, { service: string; env: string; url: (s: ServiceSpec) => string }> = {
  postgres: { service: 'postgres', env: 'DATABASE_URL', url: (s) => `postgres://\${POSTGRES_USER:-aether}:\${POSTGRES_PASSWORD}@postgres:5432/${snake(s.name)}` },
  mongodb: { service: 'mongo', env: 'MONGODB_URL', url: (s) => `mongodb://\${MONGO_USER:-aether}:\${MONGO_PASSWORD}@mongo:27017/${snake(s.name)}?authSource=admin` },
  redis: { service: 'redis', env: 'REDIS_URL', url: () => 'redis://:${REDIS_PASSWORD}@redis:6379/0' },
  rabbitmq: { service: 'rabbitmq', env: 'RABBITMQ_URL', url: () => 'amqp://${RABBITMQ_USER:-aether}:${RABBITMQ_PASSWORD}@rabbitmq:5672' },
  chroma: { service: 'chroma', env: 'CHROMA_URL', url: () => 'http://chroma:8000' },
};

/** Inside containers every app listens on the image defaults; a public app keeps its own port. */
const composeHttpPort = (s: ServiceSpec) => (s.public ? s.ports.http : CONTAINER_PORTS.http);

function composeEnv(manifest: Manifest, s: ServiceSpec): [string, string][] {
  const env: [string, string][] = [];
  if (s.public) env.push(['HTTP_PORT', String(s.ports.http)]);
  for (const store of s.stores) env.push([COMPOSE_STORE[store].env, COMPOSE_STORE[store].url(s)]);
  for (const [k, v] of Object.entries(s.secrets)) {
    env.push([k, v.required ? `\${${k}:?set ${k} in .env (see .env.example)}` : `\${${k}:-}`]);
  }
  for (const peer of s.calls) env.push([grpcUrlEnv(peer), `${peer}:${CONTAINER_PORTS.grpc}`]);
  if (s.auth && !s.issuer) env.push(['AUTH_JWKS_URL', `http://${issuerOf(manifest).name}:${CONTAINER_PORTS.http}${JWKS_PATH}`]);
  for (const [k, v] of Object.entries(s.env)) env.push([k, `\${${k}:-${v.value}}`]);
  return env;
}

function composeApp(manifest: Manifest, s: ServiceSpec): string {
  const networks = [...(s.public ? ['edge'] : []), 'backend', ...(s.stores.length ? ['data'] : [])];
  const deps = [...s.stores.map((st) => COMPOSE_STORE[st].service), ...serviceDependencies(manifest, s)];
  const lines = [
    `${s.name}:`,
    '  <<: *app',
    `  image: \${IMAGE_REGISTRY:-aether}/${s.name}:\${IMAGE_TAG:-dev}`,
    `  build: { context: ., dockerfile: deploy/Dockerfile, args: { APP: ${s.name} } }`,
    '  environment:',
    '    <<: *app-env',
    ...composeEnv(manifest, s).map(([k, v]) => `    ${k}: ${scalar(v)}`),
    `  networks: [${networks.join(', ')}]`,
    ...(s.public ? ['  ports:', `    - '\${GATEWAY_BIND:-0.0.0.0}:\${GATEWAY_PORT:-${s.ports.http}}:${s.ports.http}'`] : []),
    ...(deps.length ? ['  depends_on:', ...deps.map((d) => `    ${d}: { condition: service_healthy }`)] : []),
  ];
  // Mounted files (`files:`), read-only bind mounts of the workspace files, before any `compose.volumes`.
  const fileMounts = Object.entries(s.files).map(([path, file]) => `./${file}:${path}:ro`);
  if (fileMounts.length) {
    const more = (s.compose as { volumes?: unknown }).volumes;
    lines.push('  volumes:', ...[...fileMounts, ...(Array.isArray(more) ? more : [])].map((v) => `    - ${scalar(String(v))}`));
  }
  // Extra keys (`compose:` in services.yaml), with their comments; derived keys cannot be replaced.
  const extra = new YAMLMap();
  for (const pair of s.source.compose?.items ?? []) {
    if (COMPOSE_DERIVED_KEYS.includes(String(keyOf(pair)))) throw new Error(`services.${s.name}.compose.${String(keyOf(pair))}: derived from the manifest, cannot be set`);
    if (fileMounts.length && keyOf(pair) === 'volumes') continue;
    extra.items.push(pair.clone() as Pair);
  }
  if (extra.items.length) lines.push(indent(new Document(extra).toString({ lineWidth: 0, flowCollectionPadding: true }).trimEnd(), 2));
  return indent(lines.join('\n'), 2);
}

const COMPOSE_DERIVED_KEYS = ['image', 'build', 'environment', 'networks', 'ports', 'depends_on'];

function composeProdApp(s: ServiceSpec): string {
  const { environment } = s.composeProd as { environment?: Record<string, string> };
  const lines = [`${s.name}:`, '  <<: *prod-app'];
  if (environment && Object.keys(environment).length) {
    const envNode = s.source.composeProd?.get('environment', true) as YAMLMap | undefined;
    lines.push('  environment:', '    <<: *prod-app-env');
    for (const [k, v] of Object.entries(environment)) {
      const comment = commentBefore(envNode, k);
      if (comment) lines.push(...comment.split('\n').map((c) => `    #${c}`));
      lines.push(`    ${k}: ${scalar(v)}`);
    }
  } else {
    lines.push('  environment: *prod-app-env');
  }
  const rest = new YAMLMap();
  for (const pair of s.source.composeProd?.items ?? []) if (keyOf(pair) !== 'environment') rest.items.push(pair.clone() as Pair);
  if (rest.items.length) lines.push(indent(new Document(rest).toString({ lineWidth: 0, flowCollectionPadding: true }).trimEnd(), 2));
  return indent(lines.join('\n'), 2);
}

const keyOf = (pair: Pair): unknown => (isScalar(pair.key) ? pair.key.value : pair.key);

/** Small maps and lists of scalars in flow style ({ a: 1 }, [x, y]), as the hand-written files had. */
function flowLeaves(node: unknown): void {
  visit(node as YAMLMap, {
    Map(_, m) {
      if (m.items.length && m.items.every((p) => isScalar(p.value) && !(p.key as Scalar).commentBefore)) m.flow = true;
    },
    Seq(_, q) {
      if (q.items.every((i) => isScalar(i))) q.flow = true;
    },
  });
}

/** The comment above key `key` of a map (the parser keeps the first key's on the map itself). */
function commentBefore(map: YAMLMap | undefined, key: unknown): string | undefined {
  const i = map?.items.findIndex((p) => keyOf(p) === key) ?? -1;
  if (!map || i < 0) return undefined;
  const comment = i === 0 ? (map.commentBefore ?? (map.items[0].key as Scalar).commentBefore) : (map.items[i].key as Scalar).commentBefore;
  return comment ?? undefined;
}

/** Carries the comments above the manifest's keys onto the same keys of a derived map. */
function carryComments(from: YAMLMap | undefined, to: unknown): void {
  if (!from || !isMap(to)) return;
  for (const pair of from.items) {
    const comment = commentBefore(from, keyOf(pair));
    const target = to.items.find((p) => keyOf(p) === keyOf(pair));
    if (comment && target) (target.key as Scalar).commentBefore = comment;
  }
}

// ───────────────────────────── Helm values ─────────────────────────────

/** Reads a workspace file (the workspace folder, or an Nx generator's tree). */
export type ReadWorkspaceFile = (file: string) => string;

function helmService(s: ServiceSpec, read: ReadWorkspaceFile): Record<string, any> {
  const out: Record<string, any> = {};
  if (s.ports.grpc === undefined) out.grpc = false;
  if (s.public) out.public = true;
  if (s.auth) out.auth = true;
  if (s.calls.length) out.calls = s.calls;
  if (s.stores.length) {
    out.stores = Object.fromEntries(s.stores.map((st) => [st, st === 'postgres' ? { existingSecret: `aether-${s.name}-postgres` } : {}]));
  }
  if (Object.keys(s.secrets).length) {
    out.secretEnv = Object.fromEntries(
      Object.entries(s.secrets).map(([k, v]) => [k, { secret: v.secret, key: v.key, ...(v.optional ? { optional: true } : {}) }]),
    );
  }
  if (Object.keys(s.env).length) out.env = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, v.value]));
  if (s.stores.includes('postgres')) out.migrations = { enabled: true };
  if (Object.keys(s.files).length) out.files = Object.fromEntries(Object.entries(s.files).map(([path, file]) => [path, read(file)]));
  return out;
}

/** The service's entry of helm/aether/values.yaml `services:`. */
function helmServiceYaml(s: ServiceSpec, read: ReadWorkspaceFile): string {
  const doc = new Document({});
  const derived = helmService(s, read);
  const entry = doc.createNode(derived) as YAMLMap;
  carryComments(s.source.secrets, entry.get('secretEnv', true));
  carryComments(s.source.env, entry.get('env', true));
  flowLeaves(entry);
  const files = entry.get('files', true) as YAMLMap | undefined;
  if (files) {
    // File contents as readable literal blocks, each under a comment naming its source.
    files.flow = false;
    for (const pair of files.items) {
      (pair.value as Scalar).type = 'BLOCK_LITERAL';
      (pair.key as Scalar).commentBefore = ` generated from ${s.files[String(keyOf(pair))]}`;
    }
    files.commentBefore = ' Files mounted read-only at their paths (services.yaml `files`); override the content to configure.';
  }
  for (const pair of s.source.helm?.items ?? []) {
    const key = String(keyOf(pair));
    if (key in derived) {
      // Overrides a derived key: merged as plain data (its comments are not carried).
      const merged = doc.createNode(deepMerge({ [key]: derived[key] }, { [key]: s.helm[key] })[key]);
      flowLeaves(merged);
      entry.set(key, merged);
    } else {
      entry.items.push(pair.clone() as Pair);
    }
  }
  const root = new YAMLMap();
  root.set(s.name, entry);
  doc.contents = root as any;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true }).trimEnd();
}

function deepMerge(base: Record<string, any>, over: Record<string, any>): Record<string, any> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const isMap = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isMap(v) && isMap(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}

// ───────────────────────────── dev runner ─────────────────────────────

function devStoreEnv(s: ServiceSpec, store: Store): string {
  const p = envPrefix(s.name);
  switch (store) {
    case 'postgres':
      return `DATABASE_URL="\${${p}_DATABASE_URL:-$PG_URL/aether_${snake(s.name)}}"`;
    case 'mongodb':
      return `MONGODB_URL="\${${p}_MONGODB_URL:-$MONGO_URL/aether_${snake(s.name)}}"`;
    case 'redis':
      return 'REDIS_URL="$REDIS_URL"';
    case 'rabbitmq':
      return 'RABBITMQ_URL="$RABBITMQ_URL"';
    case 'chroma':
      return 'CHROMA_URL="$CHROMA_URL"';
  }
}

function devRegion(manifest: Manifest): string {
  const order = startOrder(manifest);
  const issuer = issuerOf(manifest);
  const databases = order.filter((s) => s.stores.includes('postgres')).map((s) => `aether_${snake(s.name)}`);
  const lines = [
    `need_mongo=${manifest.services.some((s) => s.stores.includes('mongodb')) ? '--mongo' : '""'}`,
    `postgres_databases=(${databases.join(' ')})`,
    `AUTH_JWKS_URL=\${AUTH_JWKS_URL:-http://127.0.0.1:${issuer.ports.http}${JWKS_PATH}}`,
    ...order.filter((s) => s.ports.grpc !== undefined).map((s) => `${grpcUrlEnv(s.name)}=\${${grpcUrlEnv(s.name)}:-127.0.0.1:${s.ports.grpc}}`),
    '# Every service, each after the ones it needs (the issuer first for its JWKS, callers after their peers).',
    'start_services() {',
  ];
  for (const s of order) {
    const http = s.public ? `"\${GATEWAY_PORT:-${s.ports.http}}"` : String(s.ports.http);
    const env = [
      ...(s.ports.grpc !== undefined ? [`GRPC_PORT=${s.ports.grpc}`] : []),
      ...s.stores.map((st) => devStoreEnv(s, st)),
      ...(s.auth && !s.issuer ? ['AUTH_JWKS_URL="$AUTH_JWKS_URL"'] : []),
      ...s.calls.map((peer) => `${grpcUrlEnv(peer)}="$${grpcUrlEnv(peer)}"`),
      ...Object.entries(s.env)
        .filter(([, v]) => (v.dev ?? v.value) !== '')
        .map(([k, v]) => `${k}="\${${k}:-${v.dev ?? v.value}}"`),
      ...Object.entries(s.secrets)
        .filter(([, v]) => v.dev !== undefined)
        .map(([k, v]) => `${k}="\${${k}:-${v.dev}}"`),
    ];
    lines.push(`  start ${s.name} ${http}${env.map((e) => ` \\\n    ${e}`).join('')}`);
  }
  lines.push('}');
  return lines.join('\n');
}

// ───────────────────────────── bench ─────────────────────────────

function benchRegion(manifest: Manifest): string {
  const entries = startOrder(manifest).map((s) => {
    const fields = [
      `grpcUrlEnv: ${s.ports.grpc !== undefined ? `'${grpcUrlEnv(s.name)}'` : 'undefined'}`,
      `stores: [${s.stores.map((st) => `'${st}'`).join(', ')}]`,
      `auth: ${s.auth && !s.issuer}`,
      `issuer: ${s.issuer}`,
      `calls: [${s.calls.map((c) => `'${c}'`).join(', ')}]`,
    ];
    return `  '${s.name}': { ${fields.join(', ')} },`;
  });
  return [
    '/** The services of the platform (services.yaml): what each needs to start. */',
    'export const PLATFORM_APPS = {',
    ...entries,
    '} as const satisfies Record<string, AppSpec>;',
  ].join('\n');
}

// ───────────────────────────── all regions ─────────────────────────────

export function renderRegions(manifest: Manifest, read: ReadWorkspaceFile): Region[] {
  const order = startOrder(manifest);
  return [
    { file: 'scripts/dev.sh', id: 'services', comment: '#', body: devRegion(manifest) },
    { file: 'docker-compose.yml', id: 'postgres-databases', comment: '#', body: indent(`POSTGRES_DATABASES: ${order.filter((s) => s.stores.includes('postgres')).map((s) => snake(s.name)).join(',')}`, 6) },
    { file: 'docker-compose.yml', id: 'apps', comment: '#', body: order.map((s) => composeApp(manifest, s)).join('\n\n') },
    { file: 'docker-compose.prod.yml', id: 'apps', comment: '#', body: order.map((s) => composeProdApp(s)).join('\n\n') },
    {
      file: 'deploy/prometheus/prometheus.yml',
      id: 'targets',
      comment: '#',
      body: order.map((s) => indent(`- targets: ['${s.name}:${composeHttpPort(s)}']\n  labels: { service: ${s.name} }`, 6)).join('\n'),
    },
    { file: 'helm/aether/values.yaml', id: 'issuer', comment: '#', body: indent(`issuerService: ${issuerOf(manifest).name}`, 4) },
    { file: 'helm/aether/values.yaml', id: 'services', comment: '#', body: order.map((s) => indent(helmServiceYaml(s, read), 2)).join('\n\n') },
    { file: 'bench/support/platform.ts', id: 'apps', comment: '//', body: benchRegion(manifest) },
  ];
}

/** Every derived file as it should be: path → content. `root` is the workspace folder, or a
 * function reading a workspace file (an Nx generator's tree). */
export function renderFiles(manifest: Manifest, root: string | ((file: string) => string)): Map<string, string> {
  const read = typeof root === 'string' ? (file: string) => readFileSync(join(root, file), 'utf8') : root;
  const out = new Map<string, string>();
  for (const region of renderRegions(manifest, read)) {
    const current = out.get(region.file) ?? read(region.file);
    out.set(region.file, applyRegion(current, region));
  }
  return out;
}
