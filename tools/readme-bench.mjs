// Copies the benchmark results (bench/results/*.md, written by `npm run bench`) into README.md
// between the bench markers, so the README always shows the last measured figures.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const order = ['request-path', 'auth-me', 'gateway-overhead', 'list-tasks', 'event-pipeline', 'analytics-queries', 'legacy-proxy', 'ai-gateway', 'integration-hub', 'docker-manager', 'rag-eval', 'rag-search', 'code-review', 'code-review-llm', 'startup-memory'];
const dir = join(root, 'bench/results');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.md'))
  .sort((a, b) => (order.indexOf(a.slice(0, -3)) + 1 || 99) - (order.indexOf(b.slice(0, -3)) + 1 || 99));
const body = files.map((f) => readFileSync(join(dir, f), 'utf8').trim().replace(/^### /, '#### ')).join('\n\n');
const readme = join(root, 'README.md');
const text = readFileSync(readme, 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
if (!text.includes(start) || !text.includes(end)) throw new Error('README.md has no bench markers');
writeFileSync(readme, text.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${body}\n${end}`));
console.log(`README.md: ${files.length} benchmark results`);
