// Both checkers are loaded on the first check, not at start: the TypeScript compiler is a 9 MB
// module and Ruff a 10 MB WebAssembly module compiled when its package loads (together ~50 MiB
// of RSS and heap in a service that may never check generated code).
import type * as RuffWasm from '@astral-sh/ruff-wasm-nodejs';
import type * as TS from 'typescript';

/** Languages whose generated code is checked in process here (TypeScript compiler API, Ruff). */
export type CheckedLanguage = 'typescript' | 'javascript' | 'python';

export interface CodeProblem {
  line: number;
  message: string;
}

// Diagnostics that only say a single file cannot see the rest of its project (imports, test
// globals, Node types): they are not errors of the generated code.
const OUTSIDE_THE_FILE = new Set([2307, 2304, 2305, 2306, 2503, 2580, 2582, 2591, 2593, 2688, 2792, 2875, 7016, 1259, 1192, 2614]);

let loaded: { ts: typeof TS; options: TS.CompilerOptions } | undefined;

function compiler(): { ts: typeof TS; options: TS.CompilerOptions } {
  if (loaded) return loaded;
  const ts = require('typescript') as typeof TS;
  return (loaded = { ts, options: libOptions(ts) });
}

const libOptions = (ts: typeof TS): TS.CompilerOptions => ({
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  allowJs: true,
  checkJs: false,
  jsx: ts.JsxEmit.Preserve,
  esModuleInterop: true,
  types: [],
});

/** The default library files, parsed once per process (checking a file then takes tens of ms). */
const libCache = new Map<string, TS.SourceFile>();

function typeCheck(ts: typeof TS, options: TS.CompilerOptions, fileName: string, content: string): readonly TS.Diagnostic[] {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError) => {
    if (name === fileName) return ts.createSourceFile(name, content, version, true);
    const cached = libCache.get(name);
    if (cached) return cached;
    const sf = getSourceFile(name, version, onError);
    if (sf && name.includes('/typescript/lib/')) libCache.set(name, sf);
    return sf;
  };
  host.fileExists = (name) => name === fileName || ts.sys.fileExists(name);
  // Only the file and the default library: no project, no node_modules of the caller.
  host.resolveModuleNameLiterals = (literals) => literals.map(() => ({ resolvedModule: undefined }));
  const program = ts.createProgram({ rootNames: [fileName], options, host });
  const sf = program.getSourceFile(fileName)!;
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
}

function tsProblems(path: string, content: string, language: 'typescript' | 'javascript'): CodeProblem[] {
  const ext = language === 'typescript' ? (path.endsWith('x') ? '.tsx' : '.ts') : path.endsWith('x') ? '.jsx' : '.js';
  const fileName = `/generated/input${ext}`;
  const { ts, options } = compiler();
  const diagnostics = typeCheck(ts, options, fileName, content).filter((d) => d.category === ts.DiagnosticCategory.Error && !OUTSIDE_THE_FILE.has(d.code));
  return diagnostics.slice(0, 20).map((d) => ({
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 300)}`,
  }));
}

let ruff: RuffWasm.Workspace | undefined;

function pythonProblems(content: string): CodeProblem[] {
  // Syntax errors only: Ruff reports them whatever rules are selected.
  if (!ruff) {
    const { Workspace, PositionEncoding } = require('@astral-sh/ruff-wasm-nodejs') as typeof RuffWasm;
    ruff = new Workspace({ lint: { select: ['E9'] } }, PositionEncoding.Utf16);
  }
  const diagnostics = ruff.check(content) as { code: string | null; message: string; start_location: { row: number } }[];
  return diagnostics
    .filter((d) => d.code === null || d.code === 'invalid-syntax' || d.code?.startsWith('E9'))
    .slice(0, 20)
    .map((d) => ({ line: d.start_location.row, message: d.message.slice(0, 300) }));
}

/** What is wrong with generated code (empty: it parses, and for TypeScript type-checks as one file). */
export function codeProblems(path: string, content: string, language: string): CodeProblem[] {
  if (language === 'typescript' || language === 'javascript') return tsProblems(path, content, language);
  if (language === 'python') return pythonProblems(content);
  return [];
}

/** Whether generated code of this language is checked here (the others go through the analyzers' parsers). */
export function isCheckedHere(language: string): language is CheckedLanguage {
  return language === 'typescript' || language === 'javascript' || language === 'python';
}

/** Findings of the analyzers that mean the code does not parse (tree-sitter's syntax errors, ShellCheck's parse errors). */
export function isParseError(f: { rule: string; severity: string }): boolean {
  return f.rule === 'tree-sitter/syntax-error' || f.rule === 'dockerfile/syntax-error' || (f.severity === 'error' && /^shellcheck\/SC1\d{3}$/.test(f.rule));
}
