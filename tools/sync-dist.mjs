// Copies a build's staging folder into dist/ file by file, and only the files whose content
// changed, each through a temp file + rename. So a running process (a service started from dist/,
// a test spawning one) never sees a file missing or half-written, which a cache restore straight
// into dist/ (remove, then copy) would cause. Files that no longer exist in the staging folder
// are left in place, as the incremental build always did.
//   node tools/sync-dist.mjs <from> <to>
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: node tools/sync-dist.mjs <from> <to>');
  process.exit(2);
}
if (!existsSync(from)) {
  console.error(`sync-dist: ${from} does not exist (did the compile step run?)`);
  process.exit(1);
}

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

let written = 0;
for (const src of files(from)) {
  const dest = join(to, relative(from, src));
  const content = readFileSync(src);
  if (existsSync(dest) && readFileSync(dest).equals(content)) continue;
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, dest);
  written++;
}
if (process.env.SYNC_DIST_VERBOSE) console.log(`sync-dist: ${written} file(s) updated in ${to}`);
