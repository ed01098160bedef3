// `npx nx g @aether/tools:service <name> --store=postgres|mongo|none`: a new service in one
// command. Writes the app (service definition, env class, feature module, smoke test, Nx project),
// its gRPC contract when it has none yet, its services.yaml entry — and regenerates what derives
// from the manifest (dev runner, compose, Helm values, Prometheus, bench), the cloud Helm
// examples' per-service identity and README's configuration tables.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type GeneratorCallback, type Tree, generateFiles, names } from '@nx/devkit';
import { parse as parseYaml } from 'yaml';
import { markdownMarkers } from '../../env-docs/env-docs';
import { MANIFEST_FILE, parseManifest, snake } from '../../manifest/manifest';
import { renderFiles } from '../../manifest/render';

export interface ServiceGeneratorOptions {
  name: string;
  store?: 'postgres' | 'mongo' | 'none';
  grpc?: boolean;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const read = (tree: Tree, file: string): string => {
  const text = tree.read(file, 'utf8');
  if (text === null) throw new Error(`${file} is missing`);
  return text;
};

/**
 * Ports for `name`: the ones docs/conventions.md reserves for it (the coming services have theirs),
 * otherwise the next free pair above every port in use or reserved.
 */
export function allocatePorts(tree: Tree, name: string, grpc: boolean): { grpc?: number; http: number } {
  const reserved = new Map<string, { grpc?: number; http: number }>();
  for (const m of read(tree, 'docs/conventions.md').matchAll(/^\| ([a-z][a-z0-9-]*) \| (\d+|—) \| (\d+)/gm)) {
    reserved.set(m[1], { ...(m[2] !== '—' ? { grpc: Number(m[2]) } : {}), http: Number(m[3]) });
  }
  const manifest = parseManifest(read(tree, MANIFEST_FILE));
  const used = [...manifest.services.map((s) => s.ports), ...reserved.values()];
  const own = reserved.get(name);
  if (own && !manifest.services.some((s) => s.ports.http === own.http || (own.grpc && s.ports.grpc === own.grpc))) {
    return grpc ? { grpc: own.grpc ?? Math.max(...used.map((p) => p.grpc ?? 0)) + 1, http: own.http } : { http: own.http };
  }
  const nextGrpc = Math.max(50050, ...used.map((p) => p.grpc ?? 0)) + 1;
  const nextHttp = Math.max(9100, ...used.map((p) => p.http).filter((p) => p > 9100 && p < 9200)) + 1;
  return grpc ? { grpc: nextGrpc, http: nextHttp } : { http: nextHttp };
}

function addManifestEntry(tree: Tree, name: string, ports: { grpc?: number; http: number }, store: string): void {
  const stores = store === 'postgres' ? ['postgres'] : store === 'mongo' ? ['mongodb'] : [];
  const portText = ports.grpc !== undefined ? `{ grpc: ${ports.grpc}, http: ${ports.http} }` : `{ http: ${ports.http} }`;
  // Appended as text (services is the file's last map), so the rest keeps its comments and layout.
  // A gRPC service verifies the caller's token on every RPC, so it needs the issuer's keys (auth).
  const entry = [`  ${name}:`, `    ports: ${portText}`, ...(ports.grpc !== undefined ? ['    auth: true'] : []), `    stores: [${stores.join(', ')}]`].join('\n');
  const text = read(tree, MANIFEST_FILE).replace(/\n*$/, '\n');
  const next = `${text}\n${entry}\n`;
  const parsed = parseManifest(next);
  if (!parsed.services.some((s) => s.name === name)) throw new Error(`${MANIFEST_FILE}: could not add ${name} (is "services" still the last key?)`);
  tree.write(MANIFEST_FILE, next);
}

/** The cloud examples give every service its workload identity (IRSA / Workload Identity). */
function addCloudIdentity(tree: Tree, name: string): void {
  const examples: [string, string][] = [
    ['helm/aether/values-eks.yaml', `eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/aether-${name}`],
    ['helm/aether/values-gke.yaml', `iam.gke.io/gcp-service-account: aether-${name}@example-project.iam.gserviceaccount.com`],
  ];
  for (const [file, annotation] of examples) {
    if (!tree.exists(file)) continue;
    const text = read(tree, file).replace(/\n*$/, '\n');
    const next = `${text}\n  ${name}:\n    serviceAccount:\n      annotations:\n        ${annotation}\n`;
    if (!(parseYaml(next) as { services?: Record<string, unknown> }).services?.[name]) throw new Error(`${file}: could not add ${name} (is "services" still the last key?)`);
    tree.write(file, next);
  }
}

/** docs/conventions.md's ports table lists every service (and reserves the coming ones'). */
function addConventionsPorts(tree: Tree, name: string, ports: { grpc?: number; http: number }): void {
  const file = 'docs/conventions.md';
  const text = read(tree, file);
  if (new RegExp(`^\\| ${name} \\|`, 'm').test(text)) return;
  const rows = [...text.matchAll(/^\| [a-z][a-z0-9-]* \| (\d+|—) \| \d+[^\n]*$/gm)];
  const last = rows[rows.length - 1];
  if (!last) throw new Error(`${file}: no ports table to add ${name} to`);
  const at = last.index! + last[0].length;
  tree.write(file, `${text.slice(0, at)}\n| ${name} | ${ports.grpc ?? '—'} | ${ports.http} |${text.slice(at)}`);
}

/** README: a configuration section for the service (its table is generated from its env class). */
function addReadmeSection(tree: Tree, name: string): void {
  const readme = read(tree, 'README.md');
  if (readme.includes(`(env:${name})`)) return;
  const at = readme.indexOf('\n## Benchmarks');
  if (at < 0) throw new Error('README.md: no "## Benchmarks" heading to put the configuration section before');
  tree.write('README.md', `${readme.slice(0, at)}\n### ${name}\n\n${markdownMarkers(`env:${name}`)}\n${readme.slice(at)}`);
}

function writeProto(tree: Tree, name: string, className: string): boolean {
  const file = `proto/aether/${snake(name)}/v1/${snake(name)}.proto`;
  if (tree.exists(file)) return false; // a contract designed ahead of the service is kept
  tree.write(
    file,
    `syntax = "proto3";

package aether.${snake(name)}.v1;

// ${name}: generated by \`npx nx g @aether/tools:service\`. GetServiceStatus is a first RPC to
// build on (and what the smoke test calls); give the service its real API here, following
// docs/conventions.md "Contracts (proto)".
service ${className}Service {
  // The service as the caller sees it (needs a valid access token, like every RPC).
  rpc GetServiceStatus(GetServiceStatusRequest) returns (ServiceStatus);
}

message GetServiceStatusRequest {}

message ServiceStatus {
  // The app's name.
  string service = 1;
  // The caller's user id, from the verified token.
  string caller_id = 2;
}
`,
  );
  return true;
}

export default async function serviceGenerator(tree: Tree, options: ServiceGeneratorOptions): Promise<GeneratorCallback> {
  const name = options.name;
  const store = options.store ?? 'none';
  const grpc = options.grpc ?? true;
  if (!NAME.test(name)) throw new Error(`service name "${name}": lower-case words joined by "-" (e.g. report-hub)`);
  if (!['postgres', 'mongo', 'none'].includes(store)) throw new Error(`--store=${store}: one of postgres, mongo, none`);
  if (tree.exists(`apps/${name}`)) throw new Error(`apps/${name} already exists`);
  if (parseManifest(read(tree, MANIFEST_FILE)).services.some((s) => s.name === name)) throw new Error(`${name} is already in ${MANIFEST_FILE}`);

  const n = names(name); // fileName report-hub, className ReportHub, propertyName reportHub
  const ports = allocatePorts(tree, name, grpc);
  const newContract = grpc ? writeProto(tree, name, n.className) : false;
  const substitutions = {
    ...n,
    name,
    snakeName: snake(name),
    store,
    grpc,
    newContract,
    ports,
    // Migrations are ordered by the timestamp in their name.
    migrationTimestamp: String(Date.now()),
    tmpl: '',
  };
  generateFiles(tree, join(__dirname, 'files'), `apps/${name}`, substitutions);
  if (newContract) generateFiles(tree, join(__dirname, 'files-grpc'), `apps/${name}`, substitutions);
  if (store === 'postgres') generateFiles(tree, join(__dirname, 'files-postgres'), `apps/${name}`, substitutions);
  addManifestEntry(tree, name, ports, store);
  addCloudIdentity(tree, name);
  addConventionsPorts(tree, name, ports);
  addReadmeSection(tree, name);

  // Everything derived from the manifest, rendered against the tree (so --dry-run shows it too).
  const manifest = parseManifest(read(tree, MANIFEST_FILE));
  for (const [file, content] of renderFiles(manifest, (f) => read(tree, f))) tree.write(file, content);

  // README's tables load the env classes (and they the generated contracts): after the files exist.
  return () => {
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: tree.root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } });
    run('bash', ['tools/contracts-generate.sh']);
    run('npx', ['ts-node', '-T', '-r', 'tsconfig-paths/register', 'tools/env-docs/generate.ts']);
    console.log(`\n${name}: apps/${name} (ports gRPC ${ports.grpc ?? '—'}, HTTP ${ports.http}). Next: npm run build && npx nx test ${name}; npm start runs it.`);
  };
}
