import type { GatewayConfig } from '../config/gateway-config';
import type { TokenUsage } from '../providers/provider';

/** Tokens reserved for the answer when a request sets no max_tokens (also Anthropic's default). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/** Cost from the configuration's price table (USD per million tokens); unlisted models cost 0, unpriced. */
export function costOf(config: GatewayConfig, deployment: string, usage: TokenUsage): { costUsd: number; unpriced: boolean } {
  const price = config.models.get(deployment);
  if (!price) return { costUsd: 0, unpriced: true };
  const cost = (usage.promptTokens * price.inputPerMTok + usage.completionTokens * price.outputPerMTok) / 1_000_000;
  return { costUsd: Math.round(cost * 1e12) / 1e12, unpriced: false };
}

/** The dearest answer any of these deployments could give (what a budget must hold before the call). */
export function worstCaseCost(config: GatewayConfig, deployments: string[], promptTokens: number, maxTokens: number): number {
  let worst = 0;
  for (const d of deployments) worst = Math.max(worst, costOf(config, d, { promptTokens, completionTokens: maxTokens }).costUsd);
  return worst;
}
