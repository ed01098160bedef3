// `npm run env-docs:gen`: rewrites README's configuration tables from the env classes.
// `--check`: writes nothing, exits 1 when README is stale (the env-docs spec does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '../manifest/manifest';
import { renderReadme } from './env-docs';

if (require.main === module) {
  const file = join(WORKSPACE_ROOT, 'README.md');
  try {
    const current = readFileSync(file, 'utf8');
    const next = renderReadme(WORKSPACE_ROOT, current);
    if (process.argv.includes('--check')) {
      if (next !== current) {
        console.error('README.md configuration tables are stale: run npm run env-docs:gen');
        process.exit(1);
      }
      console.log('README.md configuration tables are up to date');
    } else if (next !== current) {
      writeFileSync(file, next);
      console.log('updated README.md');
    } else {
      console.log('up to date');
    }
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
