import { Controller, Get, Header, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { LifecycleState } from './lifecycle-state';
import { ReadinessProbe, ReadinessProbeClass } from './readiness';

export const READINESS_PROBES = Symbol('READINESS_PROBES');

type CheckResult = Record<string, { status: 'up' } | { status: 'down'; message: string }>;

/**
 * Liveness and readiness, served on the management HTTP port without auth. The body is
 * @nestjs/terminus' shape (`{status, info, error, details}`; 503 with status `error` when a probe
 * fails), built here: terminus' decorator loads @nestjs/swagger into every service (~170
 * modules with terminus itself) for documentation only the gateway publishes.
 */
@Controller()
export class HealthController {
  private probes?: ReadinessProbe[];

  constructor(
    private readonly lifecycle: LifecycleState,
    private readonly moduleRef: ModuleRef,
    @Inject(READINESS_PROBES) private readonly probeClasses: ReadinessProbeClass[],
  ) {}

  @Get('healthz')
  liveness() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Header('Cache-Control', 'no-cache, no-store, must-revalidate')
  async readiness() {
    if (this.lifecycle.shuttingDown) {
      throw new ServiceUnavailableException({ status: 'error', info: {}, error: { process: { status: 'down', message: 'shutting down' } }, details: {} });
    }
    this.probes ??= this.probeClasses.map((cls) => this.moduleRef.get(cls as never, { strict: false }) as ReadinessProbe);
    // Every probe at once: readiness answers in the time of the slowest, not of their sum.
    const results = await Promise.all(
      this.probes.map(async (probe): Promise<CheckResult> => {
        try {
          await probe.check();
          return { [probe.name]: { status: 'up' } };
        } catch (e) {
          return { [probe.name]: { status: 'down', message: e instanceof Error ? e.message : String(e) } };
        }
      }),
    );
    const details: CheckResult = Object.assign({}, ...results);
    const info: CheckResult = {};
    const error: CheckResult = {};
    for (const [name, result] of Object.entries(details)) (result.status === 'up' ? info : error)[name] = result;
    const body = { status: Object.keys(error).length ? 'error' : 'ok', info, error, details };
    if (body.status === 'error') throw new ServiceUnavailableException(body);
    return body;
  }
}
