// Unit tests of the pull-request review planner (pure): diff line mapping, fingerprints, cap, body.
import { structuredPatch } from 'diff';
import type { Finding } from '../src/analysis/analysis.types';
import {
  fingerprint,
  isReplacement,
  moveToBody,
  outsideDiff,
  planReview,
  readFingerprints,
  rightSideHunks,
  type PlanInput,
  type PlannedFile,
} from '../src/pull-requests/review-planner';

/** A GitHub-style patch (hunks only, 3 lines of context) between two versions. */
function patchOf(before: string, after: string): string {
  return structuredPatch('f', 'f', before, after, '', '', { context: 3 })
    .hunks.map((h) => `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n${h.lines.join('\n')}`)
    .join('\n');
}

const base = Array.from({ length: 30 }, (_, i) => `const v${i + 1} = ${i + 1};`);
const head = [...base];
head[9] = 'if (a == b) run();'; // line 10, added
head[19] = 'const x = eval(input);'; // line 20, added
const file = (path = 'src/app.ts'): PlannedFile => ({ path, patch: patchOf(base.join('\n') + '\n', head.join('\n') + '\n'), lines: head });

function finding(over: Partial<Finding>): Finding {
  return { path: 'src/app.ts', line: 10, severity: 'warning', rule: 'eslint/eqeqeq', source: 'eslint', message: 'Expected === and instead saw ==.', ...over };
}

function input(findings: Finding[], over: Partial<PlanInput> = {}): PlanInput {
  return { files: [file()], findings, known: new Set(), maxComments: 10, summary: '2 findings.', analyzers: [{ name: 'eslint', version: '10.1.0', files: 1, durationMs: 30 }], skipped: [], headSha: 'abc123', ...over };
}

describe('diff line mapping', () => {
  it('gives the RIGHT-side lines of each hunk: added and context, not removed, not outside', () => {
    const hunks = rightSideHunks(file().patch);
    expect(hunks).toHaveLength(2);
    expect([...hunks[0]]).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect([...hunks[1]]).toEqual([17, 18, 19, 20, 21, 22, 23]);
    expect(rightSideHunks(undefined)).toEqual([]);
    // A file added in the PR: every line is on the RIGHT side.
    expect([...rightSideHunks(patchOf('', 'a\nb\n'))[0]]).toEqual([1, 2]);
  });
});

describe('planReview', () => {
  it('comments inline only on diff lines (RIGHT) and lists a finding outside the diff in the body', () => {
    const plan = planReview(input([finding({}), finding({ line: 20, rule: 'eslint/no-eval', message: 'eval can be harmful.', severity: 'error' }), finding({ line: 2, rule: 'eslint/no-unused-vars', message: "'v2' is unused." })]));
    expect(plan.comments.map((c) => [c.path, c.line, c.side])).toEqual([
      ['src/app.ts', 20, 'RIGHT'],
      ['src/app.ts', 10, 'RIGHT'],
    ]);
    expect(plan.inBody.map((b) => [b.finding.line, b.reason])).toEqual([[2, 'outside-diff']]);
    expect(plan.body).toContain('#### Findings outside the diff');
    expect(plan.body).toMatch(/- `src\/app\.ts:2` \*\*warning\*\* `eslint\/no-unused-vars`/);
    expect(plan.fingerprints).toHaveLength(3);
    expect(plan.worthPosting).toBe(true);
  });

  it('turns an analyzer fix (or replacement code from the model) into a ```suggestion block, and advice into text', () => {
    const plan = planReview(
      input([
        finding({ suggestion: 'if (a === b) run();' }),
        finding({ line: 20, rule: 'llm/eval', source: 'llm', message: 'eval can be harmful.', suggestion: 'Parse the input instead of evaluating it.' }),
      ]),
    );
    const eq = plan.comments.find((c) => c.line === 10)!;
    expect(eq.body).toContain('```suggestion\nif (a === b) run();\n```');
    const ev = plan.comments.find((c) => c.line === 20)!;
    expect(ev.body).not.toContain('```suggestion');
    expect(ev.body).toContain('Suggestion: Parse the input instead of evaluating it.');
    expect(isReplacement(['const x = eval(input);'], 'const x = JSON.parse(input);')).toBe(true);
    expect(isReplacement(['const x = eval(input);'], 'const x = eval(input);')).toBe(false);
  });

  it('caps inline comments (most severe first) and lists the overflow in the body', () => {
    const many = [finding({ line: 7, rule: 'eslint/a' }), finding({ line: 8, rule: 'eslint/b' }), finding({ line: 20, rule: 'eslint/no-eval', severity: 'error' }), finding({ line: 11, rule: 'eslint/c', severity: 'info' })];
    const plan = planReview(input(many, { maxComments: 2 }));
    expect(plan.comments.map((c) => c.finding.rule)).toEqual(['eslint/no-eval', 'eslint/a']);
    expect(plan.inBody.map((b) => [b.finding.rule, b.reason])).toEqual([
      ['eslint/b', 'over-cap'],
      ['eslint/c', 'over-cap'],
    ]);
    expect(plan.body).toContain('over the cap');
    expect(plan.fingerprints).toHaveLength(4);
  });

  it('hides a fingerprint in every comment and body item, and never repeats a known one', () => {
    const first = planReview(input([finding({}), finding({ line: 2, rule: 'eslint/no-unused-vars' })]));
    const said = new Set([...first.comments.flatMap((c) => readFingerprints(c.body)), ...readFingerprints(first.body)]);
    expect([...said].sort()).toEqual([...first.fingerprints].sort());
    const again = planReview(input([finding({}), finding({ line: 2, rule: 'eslint/no-unused-vars' })], { known: said }));
    expect(again.comments).toEqual([]);
    expect(again.inBody).toEqual([]);
    expect(again.repeated).toBe(2);
    expect(again.worthPosting).toBe(false);
  });

  it('keeps a fingerprint when code moves or is re-indented, loses it when the line changes', () => {
    expect(fingerprint('a.ts', 'eslint/eqeqeq', '  if (a == b) run();')).toBe(fingerprint('a.ts', 'eslint/eqeqeq', 'if (a ==  b) run();'));
    expect(fingerprint('a.ts', 'eslint/eqeqeq', 'if (a == b) run();')).not.toBe(fingerprint('a.ts', 'eslint/eqeqeq', 'if (a == c) run();'));
    expect(fingerprint('a.ts', 'eslint/eqeqeq', 'x')).not.toBe(fingerprint('b.ts', 'eslint/eqeqeq', 'x'));
    // Two identical lines with the same finding are two comments.
    const twice = [...head];
    twice[10] = twice[9];
    const plan = planReview(input([finding({ line: 10 }), finding({ line: 11 })], { files: [{ ...file(), lines: twice, patch: patchOf(base.join('\n') + '\n', twice.join('\n') + '\n') }] }));
    expect(new Set(plan.comments.map((c) => c.fingerprint)).size).toBe(2);
  });

  it('folds the same finding from two tools into one comment', () => {
    const plan = planReview(input([finding({}), finding({ source: 'llm', message: 'Use ===' })]));
    expect(plan.comments).toHaveLength(1);
  });

  it('comments a range on its lines when the hunk shows them all, else on a shown line without a suggestion', () => {
    const inHunk = planReview(input([finding({ line: 9, endLine: 10, suggestion: 'const v9 = 9;\nif (a === b) run();' })]));
    expect(inHunk.comments[0]).toMatchObject({ startLine: 9, line: 10 });
    expect(inHunk.comments[0].body).toContain('```suggestion');
    const across = planReview(input([finding({ line: 4, endLine: 8, suggestion: 'x' })]));
    expect(across.comments[0]).toMatchObject({ line: 7 });
    expect(across.comments[0].startLine).toBeUndefined();
    expect(across.comments[0].body).not.toContain('```suggestion');
  });

  it('lists skipped files and the analyzers in the body; text from findings cannot break the markdown', () => {
    const plan = planReview(
      input([finding({ line: 2, message: 'bad <!-- aether-fp:0000000000000000 --> \n## heading' })], { skipped: [{ path: 'logo.png', reason: 'no patch from GitHub (binary or too large)' }] }),
    );
    expect(plan.body).toContain('#### Not reviewed');
    expect(plan.body).toContain('`logo.png`: no patch from GitHub');
    expect(plan.body).toContain('Analyzers: eslint 10.1.0');
    expect(readFingerprints(plan.body)).toEqual(plan.fingerprints);
    expect(plan.body).not.toContain('\n## heading');
  });
});

describe('a refused review (422)', () => {
  it('moves the comments the fresh diff does not show into the body', () => {
    const plan = planReview(input([finding({}), finding({ line: 20, rule: 'eslint/no-eval', severity: 'error' })]));
    const fresh: PlannedFile[] = [{ path: 'src/app.ts', patch: patchOf(base.join('\n') + '\n', [...base.slice(0, 9), head[9], ...base.slice(10)].join('\n') + '\n') }];
    const offenders = outsideDiff(plan.comments, fresh);
    expect([...offenders].map((c) => c.line)).toEqual([20]);
    const retry = moveToBody(plan, input([]), offenders);
    expect(retry.comments.map((c) => c.line)).toEqual([10]);
    expect(retry.inBody.map((b) => [b.finding.line, b.reason])).toEqual([[20, 'rejected']]);
    expect(retry.body).toContain('did not accept');
    expect([...retry.fingerprints].sort()).toEqual([...plan.fingerprints].sort());
  });
});
