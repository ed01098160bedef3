import 'reflect-metadata';
// README's configuration tables, generated from the env classes themselves: the variables and
// whether they are required come from class-validator's metadata, defaults from an instance of the
// class, the meaning from each property's JSDoc. So a variable cannot be added, renamed or given a
// new default without README following (tools/env-docs/env-docs.spec.ts fails when it is stale).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import * as ts from 'typescript';
import { WORKSPACE_ROOT, loadManifest } from '../manifest/manifest';

export type EnvClass = new () => object;

export interface EnvRow {
  name: string;
  /** Rendered default: a value, "required", "conditional" or "unset". */
  default: string;
  description: string;
}

/** Files that may declare env classes (their JSDoc is read from the source). */
function envSourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', 'generated', 'test'].includes(e.name)) walk(p);
      } else if (/(\.env|-env|\.options)\.ts$/.test(e.name) && !e.name.endsWith('.spec.ts')) {
        out.push(p);
      }
    }
  };
  for (const top of ['apps', 'libs']) walk(join(root, top));
  return out;
}

/** class name → property → JSDoc text, from the TypeScript sources. */
export function readDocs(root = WORKSPACE_ROOT): Map<string, Map<string, string>> {
  const docs = new Map<string, Map<string, string>>();
  for (const file of envSourceFiles(root)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
        const name = node.name?.text ?? `<anonymous in ${relative(root, file)}>`;
        const props = docs.get(name) ?? new Map<string, string>();
        for (const member of node.members) {
          if (!ts.isPropertyDeclaration(member) || !ts.isIdentifier(member.name)) continue;
          const text = ts
            .getJSDocCommentsAndTags(member)
            .filter(ts.isJSDoc)
            .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
            .join(' ')
            .replace(/\s+/g, ' ')
            .trim();
          if (text) props.set(member.name.text, text);
        }
        docs.set(name, props);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return docs;
}

/** The classes from `cls` up to (and including) the first one with no env parent. */
function lineage(cls: Function): Function[] {
  const out: Function[] = [];
  for (let c: any = cls; c && c !== Function.prototype && c !== Object; c = Object.getPrototypeOf(c)) out.push(c);
  return out;
}

/** Properties (in declaration order, base class first) with their validation metadata. */
function properties(cls: EnvClass): { name: string; optional: boolean; conditional: boolean }[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const instance = new cls() as Record<string, unknown>;
  const names = [...new Set([...lineage(cls).reverse().flatMap((c) => metas.filter((m) => m.target === c).map((m) => m.propertyName)), ...Object.keys(instance)])];
  return names.map((name) => {
    const conditional = metas.filter((m) => m.propertyName === name && m.type === 'conditionalValidation');
    return { name, optional: conditional.some((m) => m.name === 'isOptional'), conditional: conditional.some((m) => m.name !== 'isOptional') };
  });
}

function renderDefault(value: unknown, p: { optional: boolean; conditional: boolean }): string {
  if (value === undefined || value === null) return p.conditional ? 'conditional' : p.optional ? 'unset' : 'required';
  if (typeof value === 'string') return value === '' ? '`""`' : `\`${value}\``;
  return `\`${String(value)}\``;
}

/**
 * Rows for `cls`: every variable it declares or inherits, less those of `exclude` (the shared
 * base class, whose table is separate; an app's own port defaults are in the ports table).
 * Throws when a variable has no description.
 */
export function envRows(cls: EnvClass, docs: Map<string, Map<string, string>>, exclude?: EnvClass): EnvRow[] {
  const instance = new cls() as Record<string, unknown>;
  const baseNames = new Set(exclude ? properties(exclude).map((p) => p.name) : []);
  const missing: string[] = [];
  const rows: EnvRow[] = [];
  for (const p of properties(cls)) {
    if (baseNames.has(p.name)) continue;
    const description = lineage(cls)
      .map((c) => docs.get(c.name)?.get(p.name))
      .find(Boolean);
    if (!description) missing.push(p.name);
    rows.push({ name: p.name, default: renderDefault(instance[p.name], p), description: description ?? '' });
  }
  if (missing.length) throw new Error(`${cls.name}: describe every variable with a JSDoc comment (missing: ${missing.join(', ')})`);
  return rows;
}

/** A table cell: pipes escaped, and < > outside code spans (they would read as HTML). */
const cell = (s: string) =>
  s
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('')
    .replace(/\|/g, '\\|');

export function renderTable(rows: EnvRow[]): string {
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows.map((r) => `| \`${r.name}\` | ${r.default} | ${cell(r.description)} |`)].join('\n');
}

// ───────────────────────────── README regions ─────────────────────────────

const START = (id: string) => `<!-- generated (${id}) by \`npm run env-docs:gen\` — do not edit -->`;
const END = (id: string) => `<!-- end of generated (${id}) -->`;

export function applyMarkdownRegion(text: string, id: string, body: string): string {
  const start = text.indexOf(START(id));
  const end = text.indexOf(END(id));
  if (start < 0 || end < start) throw new Error(`README.md: markers of generated region "${id}" are missing:\n${START(id)}\n…\n${END(id)}`);
  return `${text.slice(0, start + START(id).length)}\n${body}\n${text.slice(end)}`;
}

export function markdownMarkers(id: string): string {
  return `${START(id)}\n${END(id)}`;
}

/** The env class of an app: the exported class of apps/<app>/src/config/*.env.ts. */
export function appEnvClass(root: string, app: string): EnvClass {
  const dir = join(root, 'apps', app, 'src/config');
  const files = readdirSync(dir).filter((f) => f.endsWith('.env.ts') && !f.endsWith('.spec.ts'));
  for (const f of files) {
    const mod = require(join(dir, f.replace(/\.ts$/, '')));
    const cls = Object.values(mod).find((v): v is EnvClass => typeof v === 'function' && /Env$/.test((v as Function).name));
    if (cls) return cls;
  }
  throw new Error(`apps/${app}/src/config: no *.env.ts exporting an env class`);
}

/** README.md as it should be: the shared table, the ports table and one table per app. */
export function renderReadme(root = WORKSPACE_ROOT, readme = readFileSync(join(root, 'README.md'), 'utf8')): string {
  // The kit's base class, loaded the way the apps load it.
  const { BaseEnv } = require(join(root, 'libs/service-kit/src/config/base-env')) as { BaseEnv: EnvClass };
  const docs = readDocs(root);
  const manifest = loadManifest(root);
  let text = applyMarkdownRegion(readme, 'env:shared', renderTable(envRows(BaseEnv, docs)));
  const ports = ['| app | gRPC | HTTP |', '| --- | --- | --- |', ...manifest.services.map((s) => `| ${s.name} | ${s.ports.grpc ?? '—'} | ${s.ports.http} |`)];
  text = applyMarkdownRegion(text, 'ports', ports.join('\n'));
  for (const s of manifest.services) {
    text = applyMarkdownRegion(text, `env:${s.name}`, renderTable(envRows(appEnvClass(root, s.name), docs, BaseEnv)));
  }
  return text;
}
