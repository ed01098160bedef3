import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { AnalyticsGrpcController } from './analytics.grpc.controller';
import { EventListService } from './event-list.service';
import { RollupReader } from './rollup-reader';
import { SummaryService } from './summary.service';
import { TimeseriesService } from './timeseries.service';

@Module({
  imports: [EventsModule],
  controllers: [AnalyticsGrpcController],
  providers: [SummaryService, TimeseriesService, EventListService, RollupReader],
  exports: [SummaryService, TimeseriesService, EventListService],
})
export class QueriesModule {}
