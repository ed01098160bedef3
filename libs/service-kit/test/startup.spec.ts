import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '@aether/testing';

const FIXTURE = resolve(__dirname, '../../../dist/libs/service-kit/test/fixtures/env-check-app.js');

function run(env: Record<string, string>, stopAfterMs?: number): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [FIXTURE], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.stdout.on('data', (b) => (stdout += b));
    let poll: NodeJS.Timeout | undefined;
    let giveUp: NodeJS.Timeout | undefined;
    if (stopAfterMs) {
      // Wait for the "started" line, then ask for a graceful stop.
      poll = setInterval(() => {
        if (stdout.includes('env-check started')) {
          clearInterval(poll);
          child.kill('SIGTERM');
        }
      }, 50);
      giveUp = setTimeout(() => clearInterval(poll), stopAfterMs);
    }
    child.on('exit', (code) => {
      // Both timers go with the child: a pending one would keep the jest worker alive after the
      // suite ("A worker process has failed to exit gracefully").
      clearInterval(poll);
      clearTimeout(giveUp);
      res({ code, stderr, stdout });
    });
  });
}

describe('service start-up and shutdown (real process)', () => {
  beforeAll(() => {
    if (!existsSync(FIXTURE)) throw new Error(`${FIXTURE} missing: run npm run build first`);
  });

  it('exits 78 with a message naming each missing or bad variable, without a stack trace', async () => {
    const { code, stderr } = await run({ HTTP_PORT: 'eighty', JWT_SECRETISH: 'do-not-print-me' });
    expect(code).toBe(78);
    expect(stderr).toContain('DATABASE_URL: is missing');
    expect(stderr).toContain('HTTP_PORT');
    expect(stderr).not.toContain('eighty');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('starts with a valid env, logs JSON, and drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { code, stdout } = await run({ DATABASE_URL: 'postgres://unused', HTTP_PORT: String(port), BIND_HOST: '127.0.0.1' }, 15000);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === 'env-check started')).toMatchObject({ service: 'env-check', httpPort: port });
    expect(lines.find((l) => l.msg === 'draining')).toMatchObject({ signal: 'SIGTERM' });
  });
});
