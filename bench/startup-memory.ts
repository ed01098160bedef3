/**
 * Start-up time (spawn → /readyz 200, including migrations and broker connection) and idle
 * resident memory (after 5 s idle) of each service. Run: npm run bench (or node dist/bench/startup-memory.js).
 */
import { machineLine, rssMiB, startPlatform, writeResult } from './support/platform';
import type { AppName } from './support/platform';

async function main() {
  const apps: AppName[] = ['security', 'task-manager', 'analytics', 'api-gateway'];
  const runs = 3;
  const startup: Record<string, number[]> = {};
  const memory: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++) {
    const platform = await startPlatform(apps);
    try {
      await new Promise((r) => setTimeout(r, 5000));
      for (const app of apps) {
        (startup[app] ??= []).push(platform.startupMs[app]!);
        (memory[app] ??= []).push(await rssMiB(platform.processes[app]!.child.pid!));
      }
    } finally {
      await platform.stop();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = apps.map((a) => `| ${a} | ${Math.round(median(startup[a]))} | ${median(memory[a]).toFixed(1)} |`);
  await writeResult(
    'startup-memory',
    `### Start-up time and idle memory (median of ${runs} starts)

Machine: ${machineLine()}

| service | start-up to ready (ms) | idle RSS (MiB) |
| --- | ---: | ---: |
${rows.join('\n')}`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
