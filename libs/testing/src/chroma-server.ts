import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './service-process';
import { waitFor } from './temp-stores';

/** A ChromaDB server of the test's own: `chroma run` from the npm package, data in a temp folder. */
export interface ChromaServer {
  /** http://127.0.0.1:<port> (CHROMA_URL). */
  url: string;
  port: number;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

function chromaCli(): string {
  let dir = __dirname;
  for (;;) {
    const cli = resolve(dir, 'node_modules/chromadb/dist/cli.mjs');
    if (existsSync(cli)) return cli;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('chromadb is not installed (npm ci): its `chroma` CLI runs the test server');
    dir = parent;
  }
}

/**
 * Starts `chroma run --path <temp> --host 127.0.0.1 --port <free>` (ready in well under a second)
 * and waits for its heartbeat. The same server the dev runner starts; compose and Helm run the
 * chromadb/chroma image instead.
 */
export async function startChromaServer(): Promise<ChromaServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'aether-chroma-'));
  const child: ChildProcess = spawn(process.execPath, [chromaCli(), 'run', '--path', dir, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ANONYMIZED_TELEMETRY: 'False' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`chroma exited (${child.exitCode}): ${stderr}`);
        return (await fetch(`${url}/api/v2/heartbeat`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 20_000, what: `chroma on :${port}` },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, stop };
}
