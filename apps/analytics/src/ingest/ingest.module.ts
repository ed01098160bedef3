import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { EventIngestHandler } from './event-ingest.handler';

@Module({ imports: [EventsModule], providers: [EventIngestHandler] })
export class IngestModule {}
