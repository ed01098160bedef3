import { Module } from '@nestjs/common';
import { AnalyticsCollections } from './analytics-collections';
import { AnalyticsIndexes } from './analytics-indexes';
import { EventStore } from './event-store.service';

/** Storage of events and task facts (the MongoDB connection is opened by AppModule). */
@Module({
  providers: [AnalyticsCollections, AnalyticsIndexes, EventStore],
  exports: [AnalyticsCollections, EventStore],
})
export class EventsModule {}
