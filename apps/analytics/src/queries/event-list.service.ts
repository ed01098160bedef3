import { Injectable } from '@nestjs/common';
import { decodeCursor, pageLimit, pageOf } from '@aether/service-kit';
import { AnalyticsCollections } from '../events/analytics-collections';
import type { EventDoc } from '../events/event-record';
import type { TimeRange } from './time-range';

export interface EventPage {
  items: EventDoc[];
  nextCursor: string | null;
}

/** Cursors of this list: its sort and the last event's (time, id). */
const SORT = 'time-desc';
const isPosition = ([t]: string[]) => !Number.isNaN(Date.parse(t));

/**
 * Stored events, newest first, with keyset pagination on (time, id): stable while new events
 * arrive, and each page is an index range scan rather than a growing skip.
 */
@Injectable()
export class EventListService {
  constructor(private readonly db: AnalyticsCollections) {}

  async list(filter: { type?: string; range: TimeRange; limit?: number; cursor?: string }): Promise<EventPage> {
    const limit = pageLimit(filter);
    const query: Record<string, unknown> = { time: { $gte: filter.range.from, $lt: filter.range.to } };
    if (filter.type) query.type = filter.type;
    const after = decodeCursor(filter.cursor, SORT, 2, isPosition);
    if (after) {
      const time = new Date(after[0]);
      query.$or = [{ time: { $lt: time } }, { time, _id: { $lt: after[1] } }];
    }
    const docs = await this.db.events
      .find(query)
      .sort({ time: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    const page = pageOf(docs, limit, (last) => ({ s: SORT, k: [last.time.toISOString(), last._id] }));
    return { items: page.items, nextCursor: page.nextCursor || null };
  }
}
