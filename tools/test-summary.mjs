// Totals the jest result files every project's `test` target writes (tmp/test-results/<project>.json,
// see nx.json) into one line, "N passed, N failed". A suite that failed to run (syntax error, a
// beforeAll that threw, a crash) counts as one failure, and so does every expected project whose
// result file is missing (its jest never got to write one).
// A run that failed (non-zero exit code of the runner) without a failed test counts one failure.
//   node tools/test-summary.mjs [--exit-code N] <results dir> [expected project ...]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
let exitCode = 0;
if (args[0] === '--exit-code') {
  exitCode = Number(args[1]);
  args.splice(0, 2);
}
const [dir, ...expected] = args;
let passed = 0;
let failed = 0;
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const file of files) {
  let result;
  try {
    result = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } catch {
    console.error(`[test] ${file}: unreadable result file`);
    failed++;
    continue;
  }
  const broken = result.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0);
  for (const t of broken) console.error(`[test] suite failed to run: ${t.name}`);
  passed += result.numPassedTests;
  failed += result.numFailedTests + broken.length;
}
for (const project of expected) {
  if (!files.includes(`${project}.json`)) {
    console.error(`[test] ${project}: no test results (its jest run did not complete)`);
    failed++;
  }
}
if (exitCode !== 0 && failed === 0) {
  console.error(`[test] the test run failed (exit code ${exitCode}) without a failing test`);
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
