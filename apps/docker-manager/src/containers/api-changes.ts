import { Injectable } from '@nestjs/common';

/** How long after an API action the engine's reports of it are still taken as its echo. */
const ECHO_WINDOW_MS = 5_000;

/**
 * Containers being changed through the API right now (or a moment ago): the engine reports those
 * changes too, and they are published once, as the API's (with the acting user), not again as the
 * engine's own.
 */
@Injectable()
export class ApiChanges {
  private readonly inFlight = new Map<string, number>();
  private readonly endedAt = new Map<string, number>();

  begin(id: string): void {
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
  }

  end(id: string, now = Date.now()): void {
    const n = (this.inFlight.get(id) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(id);
    else this.inFlight.set(id, n);
    this.endedAt.set(id, now);
  }

  /** True when an engine event about `id` at `now` is the echo of an API action. */
  isEcho(id: string, now = Date.now()): boolean {
    if (this.inFlight.has(id)) return true;
    const ended = this.endedAt.get(id);
    if (ended === undefined) return false;
    if (now - ended <= ECHO_WINDOW_MS) return true;
    this.endedAt.delete(id);
    return false;
  }
}
