import { periodicJobProvider } from '@aether/service-kit';
import type { FactoryProvider, Type } from '@nestjs/common';
import { TaskManagerEnv } from '../config/task-manager.env';

/**
 * A loop of task-manager's scheduler, as a provider: `run(worker)` every SCHEDULER_INTERVAL_MS
 * while SCHEDULER_ENABLED, from application start to shutdown (which waits for a pass).
 */
export function schedulerLoop<W>(name: string, worker: Type<W>, run: (worker: W) => Promise<unknown>): FactoryProvider {
  return periodicJobProvider(name, [worker, TaskManagerEnv], (w: W, env: TaskManagerEnv) => ({
    name,
    enabled: env.SCHEDULER_ENABLED,
    intervalMs: env.SCHEDULER_INTERVAL_MS,
    // While the database is down, fewer failing passes (and warnings) than one per tick.
    backoff: { initialMs: env.SCHEDULER_INTERVAL_MS, maxMs: Math.max(10_000, env.SCHEDULER_INTERVAL_MS) },
    run: () => run(w),
  }));
}
