import { Module } from '@nestjs/common';
import { AnalysisModule } from '../analysis/analysis.module';
import { EventsModule } from '../events/events.module';
import { LlmModule } from '../llm/llm.module';
import { ReviewService } from './review.service';

/** ReviewService: analyzers, then the model's checked findings (also what pull-request reviews use). */
@Module({
  imports: [AnalysisModule, LlmModule, EventsModule],
  providers: [ReviewService],
  exports: [ReviewService],
})
export class ReviewModule {}
