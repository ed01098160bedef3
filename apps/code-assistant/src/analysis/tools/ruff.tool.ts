// Ruff's WebAssembly build in process with our settings only: it never reads a file, so a
// repository's ruff.toml / pyproject.toml cannot change what is checked.
import type { Finding, Severity } from '../analysis.types';
import { suggestionFromEdits, type ToolInput, type ToolOutput, type WorkerTool } from './tool';

type Ruff = typeof import('@astral-sh/ruff-wasm-nodejs');

/**
 * flake8-bandit (S: shell=True, hard-coded passwords, pickle, yaml.load, weak hashes…), pyflakes
 * (F: undefined names, unused imports…), syntax/IO errors (E9) and pylint's error class (PLE).
 * S101 (`assert`) is test-code noise.
 */
const SETTINGS = {
  'line-length': 120,
  'target-version': 'py312',
  lint: { select: ['S', 'F', 'E9', 'PLE'], ignore: ['S101'] },
};

let workspace: InstanceType<Ruff['Workspace']> | undefined;
let ruffVersion = '';

function load(): void {
  if (workspace) return;
  const ruff = require('@astral-sh/ruff-wasm-nodejs') as Ruff;
  workspace = new ruff.Workspace(SETTINGS, ruff.PositionEncoding.Utf16);
  ruffVersion = ruff.Workspace.version();
}

interface RuffDiagnostic {
  code: string | null;
  message: string;
  start_location: { row: number; column: number };
  end_location: { row: number; column: number };
  fix: { edits: { content: string | null; location: { row: number; column: number }; end_location: { row: number; column: number } }[] } | null;
}

function severity(code: string | null): Severity {
  if (!code || code.startsWith('E9') || code.startsWith('PLE')) return 'error';
  // Bandit's high-signal ones: shell injection, eval/exec, unsafe deserialisation.
  if (/^S(102|301|307|506|602|604|605|608|701)$/.test(code)) return 'error';
  return 'warning';
}

function analyze(files: ToolInput[]): ToolOutput {
  load();
  const findings: Finding[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      const diagnostics = workspace!.check(file.content) as RuffDiagnostic[];
      for (const d of diagnostics) {
        const finding: Finding = {
          path: file.path,
          line: d.start_location.row,
          column: d.start_location.column,
          endLine: d.end_location.row,
          severity: severity(d.code),
          rule: `ruff/${d.code ?? 'syntax-error'}`,
          source: 'ruff',
          message: d.message,
        };
        if (d.fix?.edits.length) {
          const s = suggestionFromEdits(
            file.content,
            finding.line,
            finding.endLine,
            d.fix.edits.map((e) => ({
              startLine: e.location.row,
              startColumn: e.location.column,
              endLine: e.end_location.row,
              endColumn: e.end_location.column,
              text: e.content ?? '',
            })),
          );
          if (s) Object.assign(finding, s);
        }
        findings.push(finding);
      }
    } catch (err) {
      errors.push(`${file.path}: ${(err as Error).message ?? String(err)}`);
    }
  }
  return { findings, errors };
}

export const tool: WorkerTool = {
  name: 'ruff',
  version: () => (load(), ruffVersion),
  load,
  analyze,
};
