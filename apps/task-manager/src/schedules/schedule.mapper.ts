import type { taskManagerV1 } from '@aether/contracts';
import { toIso } from '@aether/service-kit';
import type { ScheduleEntity } from './schedule.entity';

export function toScheduleMessage(s: ScheduleEntity): taskManagerV1.Schedule {
  const t = s.taskTemplate;
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    task: {
      title: t.title,
      description: t.description ?? '',
      priority: t.priority,
      labels: t.labels ?? [],
      assigneeId: t.assigneeId ?? '',
    },
    nextRunAt: toIso(s.nextRunAt),
    lastRunAt: toIso(s.lastRunAt),
    enabled: s.enabled,
    ownerId: s.ownerId,
    createdAt: toIso(s.createdAt),
    updatedAt: toIso(s.updatedAt),
  };
}
