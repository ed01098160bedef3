import { createTwoFilesPatch } from 'diff';
import { ValidationError } from '@aether/service-kit';
import { changedLines, onChangedLine } from './diff-scope';

const NEW_PY = 'import os\nos.system("x")\n';
const GIT_NEW_FILE = 'diff --git a/y.py b/y.py\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/y.py\n@@ -0,0 +1,2 @@\n+import os\n+os.system("x")\n';

function violationsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).violations;
  }
  throw new Error('no error');
}

describe('changedLines', () => {
  it('answers the added lines of each new file (git prefixes stripped)', () => {
    const diff = createTwoFilesPatch('a/src/x.ts', 'b/src/x.ts', 'a\nb\nc\n', 'a\nB\nc\nd\n');
    expect([...changedLines(diff, [{ path: 'src/x.ts', content: 'a\nB\nc\nd\n' }]).get('src/x.ts')!]).toEqual([2, 4]);
  });

  it('takes new files from git diff, skips deleted ones', () => {
    const deleted = 'diff --git a/z.py b/z.py\ndeleted file mode 100644\n--- a/z.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n';
    const out = changedLines(deleted + GIT_NEW_FILE, [{ path: 'y.py', content: NEW_PY }]);
    expect([...out.keys()]).toEqual(['y.py']);
    expect([...out.get('y.py')!]).toEqual([1, 2]);
  });

  it('a CRLF file agrees with its diff', () => {
    const after = 'a\r\nb\r\nc\r\n';
    const diff = createTwoFilesPatch('a/w.ts', 'b/w.ts', 'a\r\nb\r\n', after);
    expect([...changedLines(diff, [{ path: 'w.ts', content: after }]).get('w.ts')!]).toEqual([3]);
  });

  it('refuses files and diffs that do not agree, naming the field', () => {
    expect(violationsOf(() => changedLines(GIT_NEW_FILE, [{ path: 'y.py', content: 'import sys\nos.system("x")\n' }]))).toEqual([
      { field: 'diff', message: 'does not match y.py: line 1 of the file differs from the diff' },
    ]);
    expect(violationsOf(() => changedLines(GIT_NEW_FILE, [{ path: 'y.py', content: NEW_PY }, { path: 'extra.py', content: 'x' }]))).toEqual([
      { field: 'files', message: 'holds extra.py, which the diff does not change' },
    ]);
    expect(violationsOf(() => changedLines('no diff here', [{ path: 'y.py', content: NEW_PY }]))).toEqual([{ field: 'diff', message: expect.stringMatching(/changes no file/) }]);
  });
});

describe('onChangedLine', () => {
  const changed = new Map([['a.ts', new Set([5])]]);
  it('holds for a finding on a changed line or spanning one', () => {
    expect(onChangedLine(changed, { path: 'a.ts', line: 5 })).toBe(true);
    expect(onChangedLine(changed, { path: 'a.ts', line: 3, endLine: 6 })).toBe(true);
    expect(onChangedLine(changed, { path: 'a.ts', line: 4 })).toBe(false);
    expect(onChangedLine(changed, { path: 'b.ts', line: 5 })).toBe(false);
  });
});
