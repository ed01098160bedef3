/**
 * docker-manager through the gateway on a real engine (a private dockerd, busybox containers):
 * single-request latency (p50/p99, one at a time after a warm-up) of the list, inspect by name
 * (the allow-list resolution included), logs tail=100, and the time from a line written in a
 * container to its arrival on a followed SSE log stream.
 *
 * 30 allow-listed and 30 other containers run, so every call also filters the engine's list.
 * Run: `npm run bench -- docker-manager` (builds, then `node dist/bench/docker-manager.js`);
 * prints a Markdown table and writes bench/results/docker-manager.md.
 */
import { startDockerEngine } from '@aether/testing';
import { adminAccessToken, machineLine, startPlatform, writeResult } from './support/platform';

const MANAGED = 30;
const OTHERS = 30;
const CALLS = 200;
const WARMUP = 20;
const FOLLOW_LINES = 30;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function timed(calls: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

async function main() {
  const engine = await startDockerEngine();
  const platform = await startPlatform(['security', 'docker-manager', 'api-gateway'], {
    'docker-manager': { DOCKER_HOST: engine.dockerHost },
    'api-gateway': { RATE_LIMIT_DEFAULT_POINTS: '1000000' },
  });
  try {
    for (let i = 0; i < MANAGED + OTHERS; i++) {
      const labels = i < MANAGED ? ['--label', 'aether.managed=true'] : [];
      await engine.dockerOk(['run', '-d', '--name', `c${i}`, ...labels, engine.image, 'sh', '-c', 'for i in $(seq 1 500); do echo "line $i"; done; exec sleep 100000']);
    }
    const base = platform.urls['api-gateway']!;
    const headers = { authorization: `Bearer ${await adminAccessToken(platform)}` };
    const get = async (path: string) => {
      const res = await fetch(base + path, { headers });
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      await res.arrayBuffer();
    };
    const rows: string[] = [];
    for (const [what, path] of [
      [`list (${MANAGED} managed of ${MANAGED + OTHERS})`, '/api/v1/containers?limit=100'],
      ['inspect by name', '/api/v1/containers/c7'],
      ['logs tail=100 (JSON)', '/api/v1/containers/c7/logs?tail=100'],
    ] as const) {
      await timed(WARMUP, () => get(path));
      const t = await timed(CALLS, () => get(path));
      rows.push(`| ${what} | ${percentile(t, 50).toFixed(1)} | ${percentile(t, 99).toFixed(1)} |`);
    }

    // Follow: write a line with docker exec, time until it arrives on the SSE stream.
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/containers/c3/logs?follow=true&tail=0`, { headers, signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const arrivals: number[] = [];
    let buffer = '';
    for (let i = 0; i < FOLLOW_LINES; i++) {
      const sentAt = Date.now();
      await engine.dockerOk(['exec', 'c3', 'sh', '-c', `echo "mark ${i}" > /proc/1/fd/1`]);
      while (!buffer.includes(`mark ${i}"`)) buffer += decoder.decode((await reader.read()).value, { stream: true });
      arrivals.push(Date.now() - sentAt);
      buffer = '';
    }
    abort.abort();
    arrivals.sort((a, b) => a - b);
    rows.push(`| follow: docker exec echo → SSE line (incl. exec) | ${percentile(arrivals, 50).toFixed(1)} | ${percentile(arrivals, 99).toFixed(1)} |`);

    await writeResult(
      'docker-manager',
      `### docker-manager (through the gateway, real dockerd)

${machineLine()}; ${CALLS} sequential calls after ${WARMUP} warm-up, admin token.

| call | p50 ms | p99 ms |
| --- | --- | --- |
${rows.join('\n')}
`,
    );
  } finally {
    await platform.stop();
    await engine.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
