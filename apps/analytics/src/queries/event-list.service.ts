import { Injectable } from '@nestjs/common';
import { ValidationError } from '@aether/service-kit';
import { AnalyticsCollections } from '../events/analytics-collections';
import type { EventDoc } from '../events/event-record';
import type { TimeRange } from './time-range';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface EventPage {
  items: EventDoc[];
  nextCursor: string | null;
}

interface CursorPosition {
  t: string;
  id: string;
}

function encodeCursor(doc: EventDoc): string {
  return Buffer.from(JSON.stringify({ t: doc.time.toISOString(), id: doc._id } satisfies CursorPosition)).toString('base64url');
}

function decodeCursor(cursor: string): { time: Date; id: string } {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPosition;
    const time = new Date(p.t);
    if (typeof p.id !== 'string' || Number.isNaN(time.getTime())) throw new Error('bad cursor');
    return { time, id: p.id };
  } catch {
    throw new ValidationError('Invalid cursor', [{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
  }
}

/**
 * Stored events, newest first, with keyset pagination on (time, id): stable while new events
 * arrive, and each page is an index range scan rather than a growing skip.
 */
@Injectable()
export class EventListService {
  constructor(private readonly db: AnalyticsCollections) {}

  async list(filter: { type?: string; range: TimeRange; limit?: number; cursor?: string }): Promise<EventPage> {
    const limit = filter.limit || DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new ValidationError('Invalid page size', [{ field: 'limit', message: `must be between 1 and ${MAX_PAGE_SIZE}` }]);
    }
    const query: Record<string, unknown> = { time: { $gte: filter.range.from, $lt: filter.range.to } };
    if (filter.type) query.type = filter.type;
    if (filter.cursor) {
      const after = decodeCursor(filter.cursor);
      query.$or = [{ time: { $lt: after.time } }, { time: after.time, _id: { $lt: after.id } }];
    }
    const docs = await this.db.events
      .find(query)
      .sort({ time: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    const items = docs.slice(0, limit);
    return { items, nextCursor: docs.length > limit ? encodeCursor(items[items.length - 1]) : null };
  }
}
