// ESLint's Linter (no file system: no config lookup, no plugins from the repository) with our
// flat config: security-relevant and likely-bug rules, few enough to stay quiet on clean code.
import type { Linter as LinterType } from 'eslint';
import type { Finding } from '../analysis.types';
import { positionAt, suggestionFromEdits, type ToolInput, type ToolOutput, type WorkerTool } from './tool';

const SECURITY_RULES: LinterType.RulesRecord = {
  'no-eval': 'error',
  'no-implied-eval': 'error',
  'no-new-func': 'error',
  'no-script-url': 'error',
  'no-proto': 'warn',
  'no-caller': 'warn',
  'no-extend-native': 'warn',
  'no-global-assign': 'error',
};

const BUG_RULES: LinterType.RulesRecord = {
  eqeqeq: ['warn', 'smart'],
  'no-debugger': 'warn',
  'no-unsafe-finally': 'error',
  'no-unsafe-negation': 'error',
  'no-unsafe-optional-chaining': 'error',
  'no-self-compare': 'warn',
  'no-self-assign': 'warn',
  'no-dupe-keys': 'error',
  'no-dupe-else-if': 'warn',
  'no-duplicate-case': 'error',
  'no-cond-assign': 'warn',
  'no-fallthrough': 'warn',
  'no-unreachable': 'warn',
  'valid-typeof': 'error',
  'use-isnan': 'error',
  'no-async-promise-executor': 'warn',
  'no-compare-neg-zero': 'warn',
  'no-constant-binary-expression': 'warn',
  'no-loss-of-precision': 'warn',
  'no-invalid-regexp': 'error',
  'no-empty-character-class': 'warn',
  'no-sparse-arrays': 'warn',
  'no-new-wrappers': 'warn',
  'no-setter-return': 'warn',
  'no-import-assign': 'error',
};

const TS_RULES: LinterType.RulesRecord = {
  '@typescript-eslint/no-non-null-asserted-optional-chain': 'warn',
  '@typescript-eslint/no-unsafe-declaration-merging': 'warn',
  '@typescript-eslint/no-misused-new': 'warn',
};

/** The globals no-implied-eval looks for (it only knows a `setTimeout` that resolves to a global). */
const GLOBALS: Record<string, 'readonly'> = {
  setTimeout: 'readonly', setInterval: 'readonly', setImmediate: 'readonly', execScript: 'readonly',
  window: 'readonly', self: 'readonly', global: 'readonly', globalThis: 'readonly',
};

let linter: LinterType | undefined;
let config: LinterType.Config[] = [];
let eslintVersion = '';

function load(): void {
  if (linter) return;
  // Loaded here, in the worker, so the service's own thread never pays for them.
  const { Linter } = require('eslint') as typeof import('eslint');
  const tseslint = require('typescript-eslint') as typeof import('typescript-eslint');
  // Core rules the TypeScript compiler already checks in .ts files (typescript-eslint's list), off there.
  const offInTs = Object.fromEntries(
    Object.entries(tseslint.configs.eslintRecommended.rules ?? {}).filter(([, level]) => level === 'off' || level === 0),
  );
  const linterOptions = { noInlineConfig: true, reportUnusedDisableDirectives: 'off' as const };
  config = [
    {
      files: ['**/*.js', '**/*.mjs', '**/*.cjs', '**/*.jsx'],
      linterOptions,
      languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: GLOBALS, parserOptions: { ecmaFeatures: { jsx: true } } },
      rules: { ...SECURITY_RULES, ...BUG_RULES },
    },
    {
      files: ['**/*.cjs'],
      languageOptions: { sourceType: 'commonjs' },
    },
    {
      files: ['**/*.ts', '**/*.mts', '**/*.cts', '**/*.tsx'],
      linterOptions,
      languageOptions: {
        parser: tseslint.parser as LinterType.Parser,
        ecmaVersion: 'latest',
        sourceType: 'module',
        globals: GLOBALS,
        // No `project`: type-aware rules would read the repository's tsconfig.
        parserOptions: { ecmaFeatures: { jsx: true } },
      },
      plugins: { '@typescript-eslint': tseslint.plugin as never },
      rules: { ...SECURITY_RULES, ...BUG_RULES, ...offInTs, ...TS_RULES },
    },
  ];
  linter = new Linter({ configType: 'flat', cwd: '/' });
  eslintVersion = Linter.version;
}

/** The name ESLint matches our config against: the path's own extension, else the language's. */
function virtualName(file: ToolInput, index: number): string {
  const ext = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/i.exec(file.path)?.[1]?.toLowerCase();
  return `/input/${index}.${ext ?? (file.language === 'typescript' ? 'ts' : 'js')}`;
}

function analyze(files: ToolInput[]): ToolOutput {
  load();
  const findings: Finding[] = [];
  const errors: string[] = [];
  files.forEach((file, index) => {
    try {
      const messages = linter!.verify(file.content, config, { filename: virtualName(file, index) });
      for (const m of messages) {
        // A file that does not parse: the TypeScript analyzer reports its syntax errors (once).
        if (m.fatal || !m.ruleId) continue;
        const finding: Finding = {
          path: file.path,
          line: m.line,
          column: m.column,
          ...(m.endLine !== undefined && { endLine: m.endLine }),
          severity: m.severity === 2 ? 'error' : 'warning',
          rule: `eslint/${m.ruleId}`,
          source: 'eslint',
          message: m.message,
        };
        const fix = m.fix ?? (m.suggestions?.length === 1 ? m.suggestions[0].fix : undefined);
        if (fix) {
          const start = positionAt(file.content, fix.range[0]);
          const end = positionAt(file.content, fix.range[1]);
          const s = suggestionFromEdits(file.content, finding.line, finding.endLine, [
            { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column, text: fix.text },
          ]);
          if (s) Object.assign(finding, s);
        }
        findings.push(finding);
      }
    } catch (err) {
      errors.push(`${file.path}: ${(err as Error).message}`);
    }
  });
  return { findings, errors };
}

export const tool: WorkerTool = {
  name: 'eslint',
  version: () => (load(), eslintVersion),
  load: () => void analyze([{ path: 'warm-up.ts', content: 'export const ready = 1;\n', language: 'typescript' }]),
  analyze,
};
