interface CircuitState {
  consecutiveFailures: number;
  openUntil: number;
}

/**
 * One circuit per connection (in this replica): after `threshold` consecutive failed attempts
 * its deliveries wait `cooldownMs` without spending attempts, then one probe decides — success
 * closes it, failure opens it again. Other connections never notice.
 */
export class CircuitBreakers {
  private readonly circuits = new Map<string, CircuitState>();

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many attempts the connection may have in flight now: 0 (open), 1 (half-open probe) or `normal`. */
  allowance(connectionId: string, normal: number): number {
    const c = this.circuits.get(connectionId);
    if (!c || c.consecutiveFailures < this.threshold) return normal;
    return this.now() < c.openUntil ? 0 : 1;
  }

  succeeded(connectionId: string): void {
    this.circuits.delete(connectionId);
  }

  failed(connectionId: string): void {
    const c = this.circuits.get(connectionId) ?? { consecutiveFailures: 0, openUntil: 0 };
    c.consecutiveFailures++;
    if (c.consecutiveFailures >= this.threshold) c.openUntil = this.now() + this.cooldownMs;
    this.circuits.set(connectionId, c);
  }
}
