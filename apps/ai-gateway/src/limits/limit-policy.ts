import { Inject, Injectable, Logger } from '@nestjs/common';
import type { aiGatewayV1 } from '@aether/contracts';
import { ROLES, serviceSubject, type Principal } from '@aether/auth';
import { DomainError } from '@aether/service-kit';
import type { GatewayConfig, RoleLimits } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/tokens';
import { budgetExceeded, invalidRequest, rateLimitExceeded, upstreamUnavailable } from '../routing/errors';
import { type Amount, Budgets, emptyState, type LimitSubject, type ReserveOutcome } from './budgets';

/** The `limits` entry of the configuration that applies to service principals. */
export const SERVICE_LIMITS = 'service';

const SUBJECT = /^(user|key):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * Which limits apply to a caller: the user's (its role's defaults from the configuration, the
 * most generous role when it holds several, overridden per user through the admin API) and,
 * for a request made with an API key, the key's (the same defaults, overridden per key). A
 * service calling with its own token (no user behind it, e.g. code-assistant's pull-request
 * reviews) is its own subject, `service:<id>`, with the configuration's `limits.service` entry:
 * its spend is counted and capped like a user's, never charged to a user.
 */
@Injectable()
export class LimitPolicy {
  private readonly logger = new Logger('LimitPolicy');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly budgets: Budgets,
  ) {}

  /** The role defaults of a principal; a role without a `limits` entry has none. */
  roleDefaults(roles: readonly string[]): RoleLimits {
    for (const role of ROLES) if (roles.includes(role) && this.config.limits.has(role)) return this.config.limits.get(role)!;
    return {};
  }

  subjectsOf(principal: Principal): LimitSubject[] {
    if (principal.serviceId !== undefined) {
      return [{ subject: serviceSubject(principal.serviceId), defaults: this.config.limits.get(SERVICE_LIMITS) ?? {} }];
    }
    const defaults = this.roleDefaults(principal.roles);
    const subjects: LimitSubject[] = [{ subject: `user:${principal.userId}`, defaults }];
    if (principal.apiKeyId) subjects.push({ subject: `key:${principal.apiKeyId}`, defaults });
    return subjects;
  }

  async reserve(subjects: LimitSubject[], amount: Amount): Promise<ReserveOutcome> {
    try {
      return await this.budgets.reserve(subjects, amount);
    } catch (err) {
      const limited = subjects.some((s) => Object.values(s.defaults).some((v) => v !== undefined));
      this.logger.warn(`limits unavailable: ${(err as Error).message}`);
      // Overrides may exist for anyone, but a caller whose role has no limits loses nothing when
      // Redis is away; one that has limits is refused rather than let overspend.
      if (!limited) return { ok: true, reservation: { keys: [], amount: { costUsd: 0, tokens: 0 } }, rateLimit: emptyState() };
      throw upstreamUnavailable('Budgets cannot be checked right now; try again shortly');
    }
  }

  refusal(outcome: Extract<ReserveOutcome, { ok: false }>): DomainError {
    const who = outcome.subject.startsWith('key:') ? 'this API key' : 'you';
    if (outcome.reason === 'budget') {
      return budgetExceeded(`The daily AI budget of ${who} is exhausted; it resets at 00:00 UTC`);
    }
    const what = outcome.reason === 'requests' ? 'requests' : 'tokens';
    return rateLimitExceeded(`Rate limit reached for ${who}: too many ${what} per minute`, Math.ceil(outcome.retryAfterMs) / 1000);
  }

  parseSubject(subject: string): string {
    const m = SUBJECT.exec(subject.toLowerCase());
    if (!m) throw invalidRequest('subject must be user:<uuid> or key:<uuid>', 'subject');
    return `${m[1]}:${m[2]}`;
  }

  async limitsOf(subject: string, roles: readonly string[] = ['developer']): Promise<aiGatewayV1.Limits> {
    const overrides = await this.budgets.overrides(subject);
    const merged = { ...this.roleDefaults(roles), ...overrides };
    return {
      subject,
      usdPerDay: merged.usdPerDay,
      tokensPerMinute: merged.tokensPerMinute,
      requestsPerMinute: merged.requestsPerMinute,
      spentUsdToday: Math.round((await this.budgets.spentToday(subject)) * 1e9) / 1e9,
    };
  }

  async update(request: aiGatewayV1.UpdateLimitsRequest): Promise<aiGatewayV1.Limits> {
    const subject = this.parseSubject(request.subject);
    if (request.usdPerDay !== undefined && !(request.usdPerDay >= 0 && Number.isFinite(request.usdPerDay))) throw invalidRequest('usdPerDay must be a number ≥ 0', 'usdPerDay');
    for (const [k, v] of [['tokensPerMinute', request.tokensPerMinute], ['requestsPerMinute', request.requestsPerMinute]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw invalidRequest(`${k} must be an integer ≥ 0`, k);
    }
    await this.budgets.setOverrides(subject, { usdPerDay: request.usdPerDay, tokensPerMinute: request.tokensPerMinute, requestsPerMinute: request.requestsPerMinute });
    return this.limitsOf(subject);
  }
}
