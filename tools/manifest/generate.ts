// `npm run manifest:gen`: rewrites the regions of the files derived from services.yaml.
// `--check`: writes nothing, lists the stale files and exits 1 (the manifest spec does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT, loadManifest } from './manifest';
import { renderFiles } from './render';

/** Files whose generated regions differ from the manifest. */
export function staleFiles(root = WORKSPACE_ROOT): string[] {
  const files = renderFiles(loadManifest(root), root);
  return [...files].filter(([file, content]) => readFileSync(join(root, file), 'utf8') !== content).map(([file]) => file);
}

/** Rewrites every derived file that is stale; returns the ones written. */
export function generate(root = WORKSPACE_ROOT): string[] {
  const written: string[] = [];
  for (const [file, content] of renderFiles(loadManifest(root), root)) {
    if (readFileSync(join(root, file), 'utf8') === content) continue;
    writeFileSync(join(root, file), content);
    written.push(file);
  }
  return written;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  try {
    const files = check ? staleFiles() : generate();
    if (check && files.length) {
      console.error(`stale (run npm run manifest:gen): ${files.join(', ')}`);
      process.exit(1);
    }
    console.log(check ? 'every file derived from services.yaml is up to date' : files.length ? `updated ${files.join(', ')}` : 'up to date');
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
