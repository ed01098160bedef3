// What the rag evaluation scripts share: the machine line and the results file of bench/results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { resolve } from 'node:path';

export const machineLine = () => `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${type()} ${release()}`;

/** The 1/5/15-minute load averages, for the results' machine line (a shared machine's figures move with them). */
export const loadLine = () => loadavg().map((l) => l.toFixed(2)).join(' / ');

/** bench/results/<name>.md (README's benchmark section is assembled from these by tools/readme-bench.mjs). */
export function writeResult(name: string, markdown: string): void {
  const dir = resolve(__dirname, '../../../bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, `${name}.md`), `${markdown.trim()}\n`);
}

/** The p-th percentile of ascending values (nearest rank). */
export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
