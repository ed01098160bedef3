import type { taskManagerV1 } from '@aether/contracts';
import { orNull } from '../http/pagination';
import type { TaskDto } from './tasks.dto';

export const toTask = (t: taskManagerV1.Task): TaskDto => ({
  id: t.id,
  title: t.title,
  description: orNull(t.description),
  status: t.status,
  priority: t.priority,
  labels: t.labels ?? [],
  dueAt: orNull(t.dueAt),
  assigneeId: orNull(t.assigneeId),
  ownerId: t.ownerId,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
  completedAt: orNull(t.completedAt),
  version: t.version,
});
