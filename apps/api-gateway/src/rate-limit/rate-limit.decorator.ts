import { SetMetadata } from '@nestjs/common';

/**
 * Rate-limit classes. `default`: authenticated callers, per user id (JWT and all their API keys share it). `anonymous`:
 * public routes and failed authentications, per client IP. `auth`: login and register, per
 * client IP, much stricter (credential guessing, account spam). `webhook`: inbound provider
 * webhooks, per connection id and generous (providers such as GitHub post in bursts, often from
 * few IPs, and do not retry a refused delivery).
 */
export type RateLimitClass = 'default' | 'anonymous' | 'auth' | 'webhook';

export const RATE_LIMIT_CLASS_KEY = 'aether:gateway:rate-limit-class';

/** Puts a handler (or controller) in another class than its caller would get by default. */
export const RateLimit = (cls: RateLimitClass) => SetMetadata(RATE_LIMIT_CLASS_KEY, cls);
