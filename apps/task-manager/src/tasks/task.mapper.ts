import type { taskManagerV1 } from '@aether/contracts';
import { toIso } from '@aether/service-kit';
import type { TaskEntity } from './task.entity';

export function toTaskMessage(t: TaskEntity): taskManagerV1.Task {
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    status: t.status,
    priority: t.priority,
    labels: t.labels,
    dueAt: toIso(t.dueAt),
    assigneeId: t.assigneeId ?? '',
    ownerId: t.ownerId,
    createdAt: toIso(t.createdAt),
    updatedAt: toIso(t.updatedAt),
    completedAt: toIso(t.completedAt),
    version: t.version,
    scheduleId: t.scheduleId ?? '',
  };
}
