// TypeScript compiler diagnostics on an in-memory host: the request's files and the compiler's
// own lib files, nothing else (no tsconfig, no node_modules, no @types of the repository).
// A single file is checked without its imports, so what those would cause is dropped.
import type * as TS from 'typescript';
import type { Finding } from '../analysis.types';
import type { ToolInput, ToolOutput, WorkerTool } from './tool';

let ts: typeof TS | undefined;
let libDir = '';
const libFiles = new Map<string, TS.SourceFile>();

/**
 * Diagnostics caused by what a lone file cannot see (unresolved modules and names, missing type
 * packages, JSX runtime): noise without the project around it.
 */
const UNRESOLVED = new Set([
  2304, 2307, 2318, 2503, 2552, 2580, 2581, 2582, 2583, 2584, 2591, 2592, 2593, 2688, 2694, 2792, 2867, 2868, 2875, 7016, 7026,
]);

const ROOT = '/input/';

function load(): typeof TS {
  if (!ts) {
    ts = require('typescript') as typeof TS;
    libDir = require('node:path').dirname(require.resolve('typescript/lib/lib.d.ts')) + '/';
  }
  return ts;
}

function options(t: typeof TS): TS.CompilerOptions {
  return {
    noEmit: true,
    target: t.ScriptTarget.ES2022,
    module: t.ModuleKind.ESNext,
    moduleResolution: t.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
    typeRoots: [],
    jsx: t.JsxEmit.Preserve,
    experimentalDecorators: true,
    esModuleInterop: true,
    allowJs: true,
    checkJs: false,
    skipLibCheck: true,
    strict: false,
    noResolve: false,
  };
}

function virtualPath(file: ToolInput): string {
  const clean = file.path.replace(/\\/g, '/').split('/').filter((p) => p && p !== '.' && p !== '..').join('/') || 'input';
  const hasExt = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/i.test(clean);
  return ROOT + clean + (hasExt ? '' : file.language === 'typescript' ? '.ts' : '.js');
}

function analyze(files: ToolInput[]): ToolOutput {
  const t = load();
  const byPath = new Map<string, ToolInput>();
  for (const f of files) byPath.set(virtualPath(f), f);
  const fs = require('node:fs') as typeof import('node:fs');
  const host: TS.CompilerHost = {
    getSourceFile(fileName, languageVersion) {
      const input = byPath.get(fileName);
      if (input) return t.createSourceFile(fileName, input.content, languageVersion, true);
      if (!fileName.startsWith(libDir)) return undefined;
      let sf = libFiles.get(fileName);
      if (!sf && fs.existsSync(fileName)) {
        sf = t.createSourceFile(fileName, fs.readFileSync(fileName, 'utf8'), languageVersion, false);
        libFiles.set(fileName, sf);
      }
      return sf;
    },
    getDefaultLibFileName: (o) => libDir + t.getDefaultLibFileName(o),
    getDefaultLibLocation: () => libDir.slice(0, -1),
    writeFile: () => undefined,
    getCurrentDirectory: () => ROOT,
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (f) => byPath.has(f) || (f.startsWith(libDir) && fs.existsSync(f)),
    readFile: (f) => byPath.get(f)?.content ?? (f.startsWith(libDir) ? fs.readFileSync(f, 'utf8') : undefined),
    directoryExists: (d) => d.startsWith(libDir.slice(0, -1)) || [...byPath.keys()].some((p) => p.startsWith(d.endsWith('/') ? d : d + '/')),
    getDirectories: () => [],
    realpath: (p) => p,
  };
  const program = t.createProgram({ rootNames: [...byPath.keys()], options: options(t), host });
  const findings: Finding[] = [];
  const errors: string[] = [];
  for (const [fileName, input] of byPath) {
    try {
      const sf = program.getSourceFile(fileName);
      if (!sf) continue;
      const diagnostics = [
        ...program.getSyntacticDiagnostics(sf),
        // Plain JavaScript gets no type check (checkJs is off): syntax only.
        ...(input.language === 'typescript' ? program.getSemanticDiagnostics(sf) : []),
      ];
      for (const d of diagnostics) {
        if (UNRESOLVED.has(d.code) || d.start === undefined) continue;
        if (d.category !== t.DiagnosticCategory.Error && d.category !== t.DiagnosticCategory.Warning) continue;
        const start = sf.getLineAndCharacterOfPosition(d.start);
        const end = sf.getLineAndCharacterOfPosition(d.start + (d.length ?? 0));
        findings.push({
          path: input.path,
          line: start.line + 1,
          column: start.character + 1,
          endLine: end.line + 1,
          severity: d.category === t.DiagnosticCategory.Error ? 'error' : 'warning',
          rule: `typescript/TS${d.code}`,
          source: 'typescript',
          message: t.flattenDiagnosticMessageText(d.messageText, '\n'),
        });
      }
    } catch (err) {
      errors.push(`${input.path}: ${(err as Error).message}`);
    }
  }
  return { findings, errors };
}

export const tool: WorkerTool = {
  name: 'typescript',
  version: () => load().version,
  // A first tiny check parses the lib files (cached for every later check).
  load: () => void analyze([{ path: 'warm-up.ts', content: 'export const ready: number = 1;\n', language: 'typescript' }]),
  analyze,
};
