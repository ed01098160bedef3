import { Module } from '@nestjs/common';
import { ENV_TOKEN } from '@aether/service-kit';
import { analysisOptionsFromEnv } from './analysis.options';
import { CodeAnalysisService } from './analysis.service';
import { CODE_ANALYSIS } from './analysis.types';

/** Provides CODE_ANALYSIS: the static analyzers, bounded by the env's ANALYSIS_* settings (AnalysisEnv). */
@Module({
  providers: [
    {
      provide: CODE_ANALYSIS,
      inject: [ENV_TOKEN],
      useFactory: (env: Record<string, unknown>) => new CodeAnalysisService(analysisOptionsFromEnv(env)),
    },
  ],
  exports: [CODE_ANALYSIS],
})
export class AnalysisModule {}
