import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { LifecycleState } from './lifecycle-state';
import { ReadinessProbe, ReadinessProbeClass } from './readiness';

export const READINESS_PROBES = Symbol('READINESS_PROBES');

/** Liveness and readiness, served on the management HTTP port without auth. */
@Controller()
export class HealthController {
  private probes?: ReadinessProbe[];

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly lifecycle: LifecycleState,
    private readonly moduleRef: ModuleRef,
    @Inject(READINESS_PROBES) private readonly probeClasses: ReadinessProbeClass[],
  ) {}

  @Get('healthz')
  liveness() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @HealthCheck()
  readiness() {
    if (this.lifecycle.shuttingDown) {
      throw new ServiceUnavailableException({ status: 'error', info: {}, error: { process: { status: 'down', message: 'shutting down' } }, details: {} });
    }
    this.probes ??= this.probeClasses.map((cls) => this.moduleRef.get(cls as never, { strict: false }) as ReadinessProbe);
    return this.health.check(
      this.probes.map((probe) => async () => {
        const session = this.indicator.check(probe.name);
        try {
          await probe.check();
          return session.up();
        } catch (e) {
          return session.down({ message: e instanceof Error ? e.message : String(e) });
        }
      }),
    );
  }
}
