import { Module } from '@nestjs/common';
import { AnalysisModule } from '../analysis/analysis.module';
import { EventsModule } from '../events/events.module';
import { LlmModule } from '../llm/llm.module';
import { AssistService } from './assist.service';

/** Refactor, tests and explain through the model, generated code checked before it is returned. */
@Module({
  imports: [LlmModule, EventsModule, AnalysisModule],
  providers: [AssistService],
  exports: [AssistService],
})
export class AssistModule {}
