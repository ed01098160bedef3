// Runs a WorkerTool module in worker threads: memory-capped (resourceLimits), an empty
// environment, one job per thread at a time, and a deadline per job after which the thread is
// terminated (a spinning tool cannot be interrupted any other way) and replaced on next use.
import { Worker } from 'node:worker_threads';
import type { ToolInput, ToolOutput } from '../tools/tool';

export interface ToolReply extends ToolOutput {
  version: string;
}

export class ToolTimeoutError extends Error {}

/**
 * The thread's code is inline so it runs the same from dist/ and from the .ts sources under jest
 * (there it registers ts-node first to load the tool module).
 */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.tsNode) require(workerData.tsNode).register({ transpileOnly: true, compilerOptions: { module: 'commonjs', moduleResolution: 'node' } });
let tool;
parentPort.on('message', async (msg) => {
  try {
    if (!tool) {
      tool = require(workerData.module).tool;
      if (tool.load) await tool.load();
    }
    const out = msg.files ? await tool.analyze(msg.files) : { findings: [], errors: [] };
    parentPort.postMessage({ id: msg.id, ok: true, version: tool.version(), findings: out.findings, errors: out.errors });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: String((err && err.message) || err) });
  }
});
`;

interface Job {
  id: number;
  files?: ToolInput[];
  resolve: (reply: ToolReply) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
  thread?: Thread;
  settled?: boolean;
}

interface Thread {
  worker: Worker;
  job?: Job;
  idleTimer?: NodeJS.Timeout;
}

export interface ToolWorkerPoolOptions {
  /** Absolute path of the module exporting `tool` (a WorkerTool). */
  module: string;
  threads: number;
  memoryMb: number;
  /** A thread idle this long exits (its memory back to the system; the next job starts a new one). 0 = never. */
  idleMs: number;
}

export class ToolWorkerPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: ToolWorkerPoolOptions) {}

  /** Analyses `files` within `timeoutMs` (queueing included); rejects with ToolTimeoutError past it. */
  run(files: ToolInput[] | undefined, timeoutMs: number, signal?: AbortSignal): Promise<ToolReply> {
    if (this.closed) return Promise.reject(new Error('the analyzer pool is closed'));
    return new Promise<ToolReply>((resolve, reject) => {
      const job: Job = { id: this.nextId++, files, resolve, reject };
      const fail = (err: Error) => this.abandon(job, err);
      job.timer = setTimeout(() => fail(new ToolTimeoutError(`timed out after ${timeoutMs} ms`)), timeoutMs);
      if (signal) {
        if (signal.aborted) return fail(new Error('cancelled'));
        signal.addEventListener('abort', () => fail(new Error('cancelled')), { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Starts the threads and loads the tool in each, so the first review does not pay for it. */
  async warm(timeoutMs: number): Promise<string> {
    const replies = await Promise.all(Array.from({ length: this.options.threads }, () => this.run(undefined, timeoutMs)));
    return replies[0].version;
  }

  /** Threads alive now (idle ones included). */
  get size(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, () => job.reject(new Error('the analyzer pool is closed')));
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let thread = this.threads.find((t) => !t.job);
      if (!thread && this.threads.length < this.options.threads) thread = this.spawn();
      if (!thread) return;
      const job = this.queue.shift()!;
      clearTimeout(thread.idleTimer);
      job.thread = thread;
      thread.job = job;
      thread.worker.postMessage({ id: job.id, files: job.files });
    }
  }

  private spawn(): Thread {
    const tsSource = this.options.module.endsWith('.ts');
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { module: this.options.module, tsNode: tsSource ? require.resolve('ts-node') : undefined },
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb, maxYoungGenerationSizeMb: Math.max(16, Math.round(this.options.memoryMb / 8)) },
      // The tools get no environment at all: nothing secret can leak into them.
      env: {},
      stdout: true,
      stderr: true,
    });
    const thread: Thread = { worker };
    worker.on('message', (m: { id: number; ok: boolean; error?: string } & ToolReply) => {
      const job = thread.job;
      if (!job || job.id !== m.id) return;
      thread.job = undefined;
      this.settle(job, () => (m.ok ? job.resolve({ version: m.version, findings: m.findings, errors: m.errors }) : job.reject(new Error(m.error))));
      this.dispatch();
      if (!thread.job && this.options.idleMs > 0) {
        thread.idleTimer = setTimeout(() => {
          if (thread.job) return;
          this.discard(thread);
          void worker.terminate();
        }, this.options.idleMs).unref();
      }
    });
    const lost = (reason: string) => {
      this.discard(thread);
      const job = thread.job;
      thread.job = undefined;
      if (job) this.settle(job, () => job.reject(new Error(reason)));
      this.dispatch();
    };
    worker.on('error', (err: Error & { code?: string }) =>
      lost(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (limit ${this.options.memoryMb} MB)` : err.message),
    );
    worker.on('exit', (code) => lost(`the analyzer thread exited (${code})`));
    // A stuck or finished tool must never keep the process alive.
    worker.unref();
    this.threads.push(thread);
    return thread;
  }

  /** A job given up (deadline, cancel): a running one takes its thread down with it. */
  private abandon(job: Job, err: Error): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const thread = job.thread;
    if (thread && thread.job === job) {
      thread.job = undefined;
      this.discard(thread);
      void thread.worker.terminate();
    }
    this.settle(job, () => job.reject(err));
    this.dispatch();
  }

  private discard(thread: Thread): void {
    clearTimeout(thread.idleTimer);
    const i = this.threads.indexOf(thread);
    if (i >= 0) this.threads.splice(i, 1);
  }

  /** Resolves or rejects a job once (a deadline, an abort and the thread's answer may race). */
  private settle(job: Job, fn: () => void): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    fn();
  }
}
