import { Injectable } from '@nestjs/common';

/** Whether the process is draining: /readyz turns 503 first, so traffic moves away before close. */
@Injectable()
export class LifecycleState {
  shuttingDown = false;
  readonly startedAt = Date.now();
}
