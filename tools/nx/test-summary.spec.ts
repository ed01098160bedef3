// The closing line of `npm test` totals every project's jest result file; what could not run counts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '../manifest/manifest';

const result = (passed: number, failed: number, broken = 0) => ({
  numPassedTests: passed,
  numFailedTests: failed,
  testResults: [
    { name: 'ok.spec.ts', status: failed ? 'failed' : 'passed', assertionResults: [{}] },
    ...Array.from({ length: broken }, (_, i) => ({ name: `broken-${i}.spec.ts`, status: 'failed', assertionResults: [] })),
  ],
});

function summary(files: Record<string, unknown>, args: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'aether-results-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    const res = spawnSync(process.execPath, [join(WORKSPACE_ROOT, 'tools/test-summary.mjs'), ...args.slice(0, 2), dir, ...args.slice(2)], { encoding: 'utf8' });
    return res.stdout.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tools/test-summary.mjs', () => {
  it('adds up every project', () => {
    expect(summary({ 'a.json': result(10, 0), 'b.json': result(5, 2) })).toBe('15 passed, 2 failed');
  });

  it('counts a suite that failed to run, a missing project and an unreadable file as failures', () => {
    expect(summary({ 'a.json': result(3, 0, 1), 'b.json': '{not json' }, ['--exit-code', '1', 'a', 'b', 'c'])).toBe('3 passed, 3 failed');
  });

  it('counts a failed run without a failing test once', () => {
    expect(summary({ 'a.json': result(4, 0) }, ['--exit-code', '1', 'a'])).toBe('4 passed, 1 failed');
    expect(summary({ 'a.json': result(4, 0) }, ['--exit-code', '0', 'a'])).toBe('4 passed, 0 failed');
  });
});
