// Helpers for the chart tests: find helm (scripts/ensure-helm.sh), render/lint the umbrella chart,
// parse the objects, compute the effective values the way the chart does (values.yaml ⊕ -f files,
// then defaults ⊕ services.<name>), and validate objects against the Kubernetes API schemas.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';

export const ROOT = resolve(__dirname, '../..');
export const CHART = join(ROOT, 'helm/aether');
export const KUBE_VERSION = '1.31.0';

export type Obj = Record<string, any>;
export interface K8sObject extends Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

let helmPath: string | undefined;

/** The helm binary from scripts/ensure-helm.sh (builds it once if needed). Throws — so the
 * calling test fails, never skips — when helm cannot be had. */
export function helm(): string {
  if (helmPath) return helmPath;
  const res = spawnSync('bash', [join(ROOT, 'scripts/ensure-helm.sh')], { encoding: 'utf8', timeout: 20 * 60_000 });
  const path = res.stdout.trim().split('\n').pop();
  if (res.status !== 0 || !path) {
    throw new Error(`helm is required for the chart tests: scripts/ensure-helm.sh failed (${res.status}): ${res.stderr.slice(-2000)}`);
  }
  helmPath = path;
  return path;
}

function runHelm(args: string[]): { status: number; stdout: string; stderr: string } {
  const res = spawnSync(helm(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, cwd: ROOT });
  // Helm notes the vendored symlink charts/aether-lib on stderr; that line is expected noise.
  const stderr = res.stderr.split('\n').filter((l) => !/found symbolic link in path/.test(l)).join('\n').trim();
  return { status: res.status ?? -1, stdout: res.stdout, stderr };
}

/** Writes extra values (given as an object) to a temp file; returns its path and a cleanup. */
export function tempValues(values: Obj): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'aether-values-'));
  const file = join(dir, 'values.yaml');
  writeFileSync(file, stringify(values));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function lintChart(valueFiles: string[]): { status: number; output: string } {
  const res = runHelm(['lint', '--strict', CHART, '--kube-version', KUBE_VERSION, ...valueFiles.flatMap((f) => ['-f', f])]);
  return { status: res.status, output: `${res.stdout}\n${res.stderr}` };
}

/** helm template → status, stderr and the parsed objects (hooks included). */
export function templateChart(valueFiles: string[], release = 'aether'): { status: number; stderr: string; objects: K8sObject[] } {
  const res = runHelm(['template', release, CHART, '--namespace', 'aether', '--kube-version', KUBE_VERSION, ...valueFiles.flatMap((f) => ['-f', f])]);
  if (res.status !== 0) return { status: res.status, stderr: res.stderr, objects: [] };
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(res.stdout)) {
    if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value != null) objects.push(value as K8sObject);
  }
  return { status: 0, stderr: res.stderr, objects };
}

export function renderChart(valueFiles: string[]): K8sObject[] {
  const res = templateChart(valueFiles);
  if (res.status !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  return res.objects;
}

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's value coalescing: maps merge key by key, anything else is replaced, null deletes. */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = deepMerge(out[k], v);
    else out[k] = v;
  }
  return out;
}

/** The chart's values.yaml overridden by the given -f files, in order. */
export function loadValues(valueFiles: string[]): Obj {
  return valueFiles.reduce(
    (acc, f) => deepMerge(acc, parseYaml(readFileSync(f, 'utf8')) ?? {}),
    parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Obj,
  );
}

export interface Effective extends Obj {
  name: string;
}

/** Enabled services with their effective settings (defaults ⊕ services.<name>). */
export function effectiveServices(values: Obj): Map<string, Effective> {
  const out = new Map<string, Effective>();
  for (const [name, raw] of Object.entries(values.services as Obj)) {
    if (!isMap(raw) || raw.enabled === false) continue;
    out.set(name, { ...deepMerge(values.defaults, raw), name });
  }
  return out;
}

/** Secret names the values declare as existing (created outside the chart). */
export function existingSecretNames(values: Obj): Set<string> {
  const names = new Set<string>();
  for (const s of values.global.imagePullSecrets ?? []) names.add(s);
  for (const store of Object.values(values.global.stores ?? {}) as Obj[]) if (store.existingSecret) names.add(store.existingSecret);
  for (const svc of effectiveServices(values).values()) {
    for (const store of Object.values(svc.stores ?? {}) as Obj[]) if (store?.existingSecret) names.add(store.existingSecret);
    for (const ref of Object.values(svc.secretEnv ?? {}) as Obj[]) names.add(ref.secret);
    for (const tls of svc.ingress?.tls ?? []) if (tls.secretName) names.add(tls.secretName);
  }
  return names;
}

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** Every pod spec in the render (Deployments and Jobs) with the object that owns it. */
export function podSpecs(objects: K8sObject[]): { owner: K8sObject; spec: Obj }[] {
  return objects
    .filter((o) => ['Deployment', 'Job', 'StatefulSet', 'DaemonSet'].includes(o.kind))
    .map((o) => ({ owner: o, spec: o.spec.template.spec }));
}

/** True when matchLabels selects a pod with these labels. */
export function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

type ModelClass = new (data: Obj) => { validate(): void };

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  // Loaded lazily: each group module is large.
  const groups: Record<string, () => Obj> = {
    v1: () => require('kubernetes-models/v1'),
    'apps/v1': () => require('kubernetes-models/apps/v1'),
    'batch/v1': () => require('kubernetes-models/batch/v1'),
    'autoscaling/v2': () => require('kubernetes-models/autoscaling/v2'),
    'policy/v1': () => require('kubernetes-models/policy/v1'),
    'networking.k8s.io/v1': () => require('kubernetes-models/networking.k8s.io/v1'),
    'rbac.authorization.k8s.io/v1': () => require('kubernetes-models/rbac.authorization.k8s.io/v1'),
    'monitoring.coreos.com/v1': () => require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'),
  };
  const load = groups[apiVersion];
  return load ? (load()[kind] as ModelClass | undefined) : undefined;
}

/** Validates one object against its Kubernetes (or prometheus-operator) API schema; throws with
 * the object's kind/name and the schema error. Unknown kinds are an error too. */
export function validateObject(obj: K8sObject): void {
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) throw new Error(`no API schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name})`);
  try {
    new Model(obj).validate();
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata?.name} is invalid: ${(err as Error).message}`);
  }
}

export function helmVersion(): string {
  return execFileSync(helm(), ['version', '--template', '{{.Version}}'], { encoding: 'utf8' }).trim();
}

/** templates/NOTES.txt as `helm install` would print it. helm template does not render NOTES,
 * so a copy of the chart renders it into a ConfigMap through `tpl`. */
export function renderNotes(valueFiles: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'aether-notes-'));
  try {
    const chart = join(dir, 'aether');
    cpSync(CHART, chart, { recursive: true, dereference: true });
    cpSync(join(chart, 'templates/NOTES.txt'), join(chart, 'notes.src'));
    writeFileSync(
      join(chart, 'templates/zz-notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: {{ tpl (.Files.Get "notes.src") . | toJson }}\n',
    );
    const res = runHelm(['template', 'aether', chart, '--namespace', 'aether', '--kube-version', KUBE_VERSION, '--show-only', 'templates/zz-notes.yaml', ...valueFiles.flatMap((f) => ['-f', f])]);
    if (res.status !== 0) throw new Error(`NOTES.txt does not render: ${res.stderr}`);
    return (parseYaml(res.stdout) as Obj).data.notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
