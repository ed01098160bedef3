import { spawn } from 'node:child_process';
import { createServer, IncomingMessage, Server } from 'node:http';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '@aether/testing';

const TRACING_PRELOAD = resolve(__dirname, '../../../dist/libs/service-kit/src/tracing/tracing.js');

/** A stand-in OTLP/HTTP collector: records every export request it receives. */
async function startCollector(fixedPort?: number): Promise<{ server: Server; port: number; received: { path: string; body: Buffer }[] }> {
  const received: { path: string; body: Buffer }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = fixedPort ?? (await freePort());
  await new Promise<void>((r, j) => server.once('error', j).listen(port, '127.0.0.1', r));
  return { server, port, received };
}

/** Runs a tiny program under the kit's tracing preload: one HTTP server, one request to it. */
function runTraced(env: Record<string, string>): Promise<number | null> {
  const program = `
    const http = require('node:http');
    const srv = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
      http.get('http://127.0.0.1:' + srv.address().port + '/traced', (r) => {
        r.resume();
        r.on('end', () => { srv.close(); setTimeout(() => process.exit(0), 1500); });
      });
    });`;
  return new Promise((res) => {
    const child = spawn(process.execPath, ['-r', TRACING_PRELOAD, '-e', program], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    child.on('exit', res);
  });
}

describe('tracing preload (OpenTelemetry NodeSDK, OTLP over HTTP)', () => {
  beforeAll(() => {
    if (!existsSync(TRACING_PRELOAD)) throw new Error(`${TRACING_PRELOAD} missing: run npm run build first`);
  });

  it('exports spans to the OTLP endpoint named by OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const collector = await startCollector();
    try {
      const code = await runTraced({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
        OTEL_SERVICE_NAME: 'tracing-probe',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      });
      expect(code).toBe(0);
      const traces = collector.received.filter((r) => r.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      const payload = Buffer.concat(traces.map((t) => t.body)).toString('latin1');
      expect(payload).toContain('tracing-probe');
      expect(payload).toContain('/traced');
    } finally {
      collector.server.close();
    }
  });

  it('sends nothing when no OTLP endpoint is configured', async () => {
    // Listen where an SDK left at its defaults would export (localhost:4318), to prove it stays off.
    const collector = await startCollector(4318);
    try {
      const code = await runTraced({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SERVICE_NAME: 'tracing-off' });
      expect(code).toBe(0);
      expect(collector.received).toHaveLength(0);
    } finally {
      collector.server.close();
    }
  });
});
