import { Module } from '@nestjs/common';
import { AnalyticsCollections } from './analytics-collections';
import { AnalyticsIndexes } from './analytics-indexes';
import { CompactionService } from './compaction.service';
import { EventStore } from './event-store.service';
import { RollupStore } from './rollup-store';

/** Storage of events, task facts and rollups, and the compaction between them (the MongoDB connection is opened by the app module). */
@Module({
  providers: [AnalyticsCollections, AnalyticsIndexes, EventStore, RollupStore, CompactionService],
  exports: [AnalyticsCollections, EventStore, RollupStore, CompactionService],
})
export class EventsModule {}
