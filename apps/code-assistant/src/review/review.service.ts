import { Inject, Injectable } from '@nestjs/common';
import { CODE_ANALYSIS, type AnalyzerRun, type CodeAnalysis, type Finding, type SourceFile } from '../analysis/analysis.types';
import type { Caller } from '../llm/caller';

/** What to review: whole files, or a unified diff with the new contents of the files it changes. */
export interface ReviewInput {
  files: SourceFile[];
  /** Unified diff of `files`; only findings on added/changed lines of the new files are reported. */
  diff?: string;
  language?: string;
  focus?: string;
  /** Ask the model too (default true). */
  llm?: boolean;
}

export interface ReviewOutcome {
  summary: string;
  findings: Finding[];
  analyzers: AnalyzerRun[];
}

/**
 * Reviews code: the analyzers first, then (llm) the model through ai-gateway, whose findings are
 * kept only when their path, line and quoted code check out; merged, de-duplicated, and with a
 * diff limited to the changed lines. (First version: the signature B2 builds against.)
 */
@Injectable()
export class ReviewService {
  constructor(@Inject(CODE_ANALYSIS) private readonly analysis: CodeAnalysis) {}

  async review(input: ReviewInput, _caller: Caller): Promise<ReviewOutcome> {
    const { findings, analyzers } = await this.analysis.analyze(input.files, { language: input.language });
    return { summary: `${findings.length} findings from the analyzers.`, findings, analyzers };
  }
}
