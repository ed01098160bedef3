/**
 * 500-line source files, one per language code-assistant analyses, for the review-latency
 * benchmarks: ordinary code with a few of the issues a reviewer is asked for (eval and == in
 * TypeScript, shell=True and a hard-coded password in Python, an unquoted rm in shell, a latest
 * tag in a Dockerfile), so each analyzer does its real work and finds something.
 */
export interface BenchFile {
  path: string;
  content: string;
}

export const BENCH_FILE_LINES = 500;

/** Repeats `block(i)` until `lines` lines, then trims to exactly that many. */
function fill(header: string[], block: (i: number) => string[], lines = BENCH_FILE_LINES): string {
  const out = [...header];
  for (let i = 0; out.length < lines; i++) out.push(...block(i));
  return out.slice(0, lines).join('\n') + '\n';
}

const EVAL = 'ev' + 'al';

export function benchFiles(): Record<'typescript' | 'python' | 'shell' | 'dockerfile' | 'go', BenchFile> {
  return {
    typescript: {
      path: 'src/orders/order-service.ts',
      content: fill(["import { Injectable } from '@nestjs/common';", "import type { Repository } from './repository';", ''], (i) => [
        `export interface Order${i} { id: string; total: number; items: { sku: string; qty: number }[] }`,
        '',
        `export function total${i}(order: Order${i}, discount: number): number {`,
        '  let sum = 0;',
        '  for (const item of order.items) {',
        '    sum += item.qty * 2;',
        '  }',
        `  if (discount == ${i}) sum = sum * 0.9;`,
        i % 10 === 0 ? `  return ${EVAL}(String(sum));` : '  return sum;',
        '}',
        '',
        `export async function load${i}(repo: Repository, id: string): Promise<Order${i} | undefined> {`,
        `  const found = await repo.find<Order${i}>(id);`,
        '  return found ?? undefined;',
        '}',
        '',
      ]),
    },
    python: {
      path: 'app/jobs.py',
      content: fill(['import os', 'import subprocess', '', 'ADMIN_PASSWORD = "hunter2-not-secret"', '', ''], (i) => [
        `def job_${i}(name: str, retries: int = 3) -> int:`,
        `    """Runs job ${i}."""`,
        '    total = 0',
        '    for attempt in range(retries):',
        '        total += attempt * 2',
        i % 10 === 0 ? `    subprocess.run(f"echo {name}", shell=True)` : '    print(name, total)',
        `    return total + len(os.environ.get("JOB_${i}", ""))`,
        '',
        '',
      ]),
    },
    shell: {
      path: 'scripts/deploy.sh',
      content: fill(['#!/usr/bin/env bash', 'set -euo pipefail', 'DIR=${1:-/tmp/build}', ''], (i) => [
        `step_${i}() {`,
        `  local name="step-${i}"`,
        '  echo "running $name"',
        i % 10 === 0 ? '  rm -rf $DIR/*' : '  mkdir -p "$DIR/$name"',
        '}',
        `step_${i}`,
        '',
      ]),
    },
    dockerfile: {
      path: 'deploy/Dockerfile',
      content: fill(['FROM node:latest AS build', 'WORKDIR /src'], (i) => [
        `COPY package-${i}.json ./`,
        i % 25 === 0 ? `RUN apt-get update && apt-get install -y tool${i}` : `RUN echo step ${i} && ls /src`,
        `ENV STEP_${i}=done`,
      ]),
    },
    go: {
      path: 'cmd/server/main.go',
      content: fill(['package main', '', 'import "fmt"', ''], (i) => [
        `func handler${i}(name string, n int) (string, error) {`,
        '\ttotal := 0',
        '\tfor i := 0; i < n; i++ {',
        '\t\ttotal += i',
        '\t}',
        `\treturn fmt.Sprintf("%s-%d-${i}", name, total), nil`,
        '}',
        '',
      ]),
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
