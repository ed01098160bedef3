// The seam between the analyzers (src/analysis/) and the features that use them (review, pull
// requests). Analyzers only report; review/ merges, filters by diff and adds the model's findings.

/** A file to analyse: repository-relative path and its full (new) content. */
export interface SourceFile {
  path: string;
  content: string;
}

export type Severity = 'info' | 'warning' | 'error';

/** One finding, as the REST contract names its fields (rest-api.md, "Code"). */
export interface Finding {
  path: string;
  /** 1-based. */
  line: number;
  endLine?: number;
  /** 1-based. */
  column?: number;
  severity: Severity;
  /** `<tool>/<the tool's own rule id>`: eslint/no-eval, typescript/TS2322, ruff/S602, shellcheck/SC2086, llm/<id>. */
  rule: string;
  /** The tool that found it (eslint, typescript, ruff, shellcheck, dockerfile, tree-sitter, llm). */
  source: string;
  message: string;
  suggestion?: string;
}

/** What one analyzer did: `error` when it failed, timed out or skipped files (the review goes on). */
export interface AnalyzerRun {
  name: string;
  version: string;
  files: number;
  durationMs: number;
  error?: string;
}

export interface AnalysisResult {
  findings: Finding[];
  analyzers: AnalyzerRun[];
}

export interface AnalyzeOptions {
  /** Language hint ("typescript", "python", "shell", "dockerfile"); empty = guess from each path. */
  language?: string;
  /** Stops the run early (the caller's deadline). */
  signal?: AbortSignal;
}

/** Nest injection token of the analysis entry point (implemented in src/analysis/). */
export const CODE_ANALYSIS = Symbol('CODE_ANALYSIS');

export interface CodeAnalysis {
  /** Runs every analyzer that applies to the files, each bounded; never throws for a tool's failure. */
  analyze(files: SourceFile[], options?: AnalyzeOptions): Promise<AnalysisResult>;
}
