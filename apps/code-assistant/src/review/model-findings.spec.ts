import type { Finding } from '../analysis/analysis.types';
import { mergeFindings } from './merge-findings';
import { checkModelFindings, normaliseSeverity, parseModelReview } from './model-findings';

const FILES = [{ path: 'src/a.ts', content: 'const  x = 1;\nrun(x);\n' }];

describe('model findings', () => {
  it('reads the JSON object also from a fence or prose around it', () => {
    expect(parseModelReview('Here:\n```json\n{"findings": []}\n```')).toEqual({ findings: [] });
    expect(parseModelReview('The review is {"findings": [{"line": 1}]} as asked')).toEqual({ findings: [{ line: 1 }] });
    expect(parseModelReview('no json')).toBeUndefined();
    expect(parseModelReview('{"summary": "no findings key"}')).toBeUndefined();
  });

  it('keeps only findings whose file, line and (whitespace-normalised) quote check out', () => {
    const { findings, dropped } = checkModelFindings(
      {
        findings: [
          { path: './src/a.ts', line: 1, quote: 'const x = 1;', message: 'm1', id: 'Unused Var!', severity: 'HIGH' },
          { path: 'src/a.ts', line: 3, quote: '', message: 'past the end (line 3 is the empty last line)' },
          { path: 'src/a.ts', line: 2, quote: 'run(y);', message: 'misquoted' },
          { path: 'src/a.ts', line: 1.5, quote: 'const', message: 'not a line number' },
          { path: 'src/b.ts', line: 1, quote: 'const x = 1;', message: 'other file' },
          { path: 'src/a.ts', line: 2, quote: 'run(x);', message: '' },
          null,
        ],
      } as never,
      FILES,
    );
    expect(findings).toEqual([{ path: 'src/a.ts', line: 1, severity: 'error', rule: 'llm/unused-var', source: 'llm', message: 'm1' }]);
    expect(dropped).toBe(6);
  });

  it('normalises severities, unknown ones to warning', () => {
    expect(['critical', 'Medium', 'nit', 'whatever'].map(normaliseSeverity)).toEqual(['error', 'warning', 'info', 'warning']);
  });
});

describe('mergeFindings', () => {
  const eslint: Finding = { path: 'a.ts', line: 4, severity: 'error', rule: 'eslint/no-eval', source: 'eslint', message: 'eval can be harmful.' };
  it('a model finding about the same issue on the same line lends its suggestion and is not repeated', () => {
    const llm: Finding = { path: 'a.ts', line: 4, severity: 'error', rule: 'llm/dangerous-eval', source: 'llm', message: 'Eval runs code.', suggestion: 'JSON.parse' };
    expect(mergeFindings([eslint], [llm])).toEqual([{ ...eslint, suggestion: 'JSON.parse' }]);
  });

  it('keeps a different issue on the same line, drops exact analyzer duplicates, sorts by path, line, severity', () => {
    const other: Finding = { path: 'a.ts', line: 4, severity: 'info', rule: 'llm/naming', source: 'llm', message: 'Rename the variable.' };
    const earlier: Finding = { path: 'a.ts', line: 1, severity: 'warning', rule: 'ruff/F401', source: 'ruff', message: 'unused' };
    expect(mergeFindings([eslint, eslint, earlier], [other]).map((f) => f.rule)).toEqual(['ruff/F401', 'eslint/no-eval', 'llm/naming']);
  });
});
