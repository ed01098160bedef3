/** Types of legacy-standin.js (plain CommonJS, run by the dev runner without a build). */
export interface StandinRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
}

export interface LegacyStandin {
  port: number;
  url: string;
  /** Every request received, oldest first. */
  requests: StandinRequest[];
  /** Answers under `prefix` wait `ms` first (0 removes the delay). */
  setDelay(prefix: string, ms: number): void;
  reset(): void;
  stop(): Promise<void>;
}

export function startLegacyStandin(options?: { port?: number; host?: string; seedsDir?: string }): Promise<LegacyStandin>;
