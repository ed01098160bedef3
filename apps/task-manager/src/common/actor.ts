import type { Principal } from '@aether/auth';
import { hasPermissions } from '@aether/auth';

/**
 * Who is calling, reduced to what the domain needs. Built only from a verified Principal
 * (GrpcAuthGuard), never from a user id in a request.
 */
export interface Actor {
  userId: string;
  /** Sees every user's tasks and schedules (admin: tasks:read:all). */
  readAll: boolean;
  /** Changes every user's tasks and schedules (admin: tasks:write:all). */
  writeAll: boolean;
}

export function actorOf(principal: Principal): Actor {
  return {
    userId: principal.userId,
    readAll: hasPermissions(principal, ['tasks:read:all']),
    writeAll: hasPermissions(principal, ['tasks:write:all']),
  };
}

/** An owned resource's visibility: the owner, the assignee (tasks) and admins. */
export function canRead(actor: Actor, res: { ownerId: string; assigneeId?: string | null }): boolean {
  return actor.readAll || actor.writeAll || res.ownerId === actor.userId || (!!res.assigneeId && res.assigneeId === actor.userId);
}

export function canWrite(actor: Actor, res: { ownerId: string; assigneeId?: string | null }): boolean {
  return actor.writeAll || res.ownerId === actor.userId || (!!res.assigneeId && res.assigneeId === actor.userId);
}
