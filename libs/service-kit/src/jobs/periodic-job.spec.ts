import { PeriodicJob, periodicJobProvider, type PassOutcome } from './periodic-job';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PeriodicJob', () => {
  it('runs passes one after another, never overlapping, until stopped', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    const job = new PeriodicJob({
      name: 'test',
      intervalMs: 5,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await tick(10);
        passes++;
        active--;
      },
    });
    job.start();
    job.start(); // idempotent
    await tick(80);
    await job.stop();
    const after = passes;
    expect(after).toBeGreaterThanOrEqual(2);
    expect(maxActive).toBe(1);
    await tick(40);
    expect(passes).toBe(after);
    expect(job.isRunning).toBe(false);
  });

  it('stop() waits for the pass in progress', async () => {
    let finished = false;
    const job = new PeriodicJob({ name: 'test', intervalMs: 1000, run: async () => { await tick(50); finished = true; } });
    job.start();
    await tick(5);
    await job.stop();
    expect(finished).toBe(true);
  });

  it("'again' runs the next pass at once; kick() wakes a sleeping job", async () => {
    const times: number[] = [];
    let left = 3;
    const job = new PeriodicJob({
      name: 'test',
      intervalMs: 10_000,
      run: async (): Promise<PassOutcome> => {
        times.push(Date.now());
        return --left > 0 ? 'again' : undefined;
      },
    });
    job.start();
    await tick(30);
    expect(times).toHaveLength(3);
    job.kick();
    await tick(30);
    expect(times).toHaveLength(4);
    await job.stop();
  });

  it('backs off (doubling, capped) after failures and resets after a success; a failure never stops it', async () => {
    const starts: number[] = [];
    let fail = 4;
    const job = new PeriodicJob({
      name: 'test',
      intervalMs: 5,
      backoff: { initialMs: 10, maxMs: 40 },
      run: async () => {
        starts.push(Date.now());
        if (fail-- > 0) throw new Error('database down');
      },
    });
    job.start();
    await tick(10 + 20 + 40 + 40 + 60);
    await job.stop();
    const gaps = starts.slice(1, 5).map((t, i) => t - starts[i]);
    expect(starts.length).toBeGreaterThanOrEqual(5);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(gaps[3]).toBeGreaterThanOrEqual(39);
    expect(gaps[3]).toBeLessThan(60);
  });

  it("'backoff' waits without counting as a failure", async () => {
    let n = 0;
    const job = new PeriodicJob({ name: 'test', intervalMs: 1, backoff: { initialMs: 50, maxMs: 50 }, run: async () => { n++; return 'backoff' as const; } });
    job.start();
    await tick(75);
    await job.stop();
    expect(n).toBe(2);
  });
});

describe('periodicJobProvider', () => {
  it('builds the job from injected providers; as a provider it starts on bootstrap when enabled and stops on destroy', async () => {
    const { Test } = await import('@nestjs/testing');
    let passes = 0;
    const worker = { run: async () => void passes++ };
    const make = (enabled: boolean) =>
      Test.createTestingModule({
        providers: [
          { provide: 'Worker', useValue: worker },
          periodicJobProvider('Loop', ['Worker'], (w: typeof worker) => ({ name: 'Loop', intervalMs: 5, enabled, run: () => w.run() })),
        ],
      }).compile();
    const off = await make(false);
    await off.init();
    await tick(30);
    expect(passes).toBe(0);
    await off.close();

    const on = await make(true);
    await on.init();
    await tick(30);
    expect(passes).toBeGreaterThan(0);
    expect(on.get<PeriodicJob>('Loop').isRunning).toBe(true);
    await on.close();
    expect(on.get<PeriodicJob>('Loop').isRunning).toBe(false);
  });
});
