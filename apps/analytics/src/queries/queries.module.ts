import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { AnalyticsGrpcController } from './analytics.grpc.controller';
import { EventListService } from './event-list.service';
import { SummaryService } from './summary.service';
import { TimeseriesService } from './timeseries.service';

@Module({
  imports: [EventsModule],
  controllers: [AnalyticsGrpcController],
  providers: [SummaryService, TimeseriesService, EventListService],
  exports: [SummaryService, TimeseriesService, EventListService],
})
export class QueriesModule {}
