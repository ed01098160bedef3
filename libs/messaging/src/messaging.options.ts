import type { BaseEnv } from '@aether/service-kit';
import { IsString, Matches } from 'class-validator';
import type { Registry } from 'prom-client';
import type { IdempotencyStore } from './idempotency/idempotency-store';

/** The one topic exchange every service publishes to (docs/conventions.md, "Events"). */
export const EVENTS_EXCHANGE = 'aether.events';

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface RetryPolicy {
  /** Delay before each retry; the last one repeats when attempts outnumber delays. */
  delaysMs: number[];
  /** Deliveries (first try included) before the message goes to `<queue>.dlq`. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { delaysMs: [1000, 5000, 30000], maxAttempts: 5 };

export interface MessagingModuleOptions {
  /** amqp://user:pass@host:5672/vhost (RABBITMQ_URL). */
  url: string;
  /** This app's name: the CloudEvents `source` and the required prefix of every event type it publishes. */
  source: string;
  /** Defaults to `aether.events`. */
  exchange?: string;
  /** Upper bound for one publish to be confirmed by the broker (default 5000). */
  publishTimeoutMs?: number;
  /** Wait between reconnect attempts (default 1000). */
  reconnectDelayMs?: number;
  heartbeatSeconds?: number;
  /** How long start-up waits for the first connection before going on unready (default 5000; 0 = don't wait). */
  startupConnectTimeoutMs?: number;
  /** Where the RED metrics are registered (default: the kit's MetricsService registry, served at /metrics; else prom-client's global one). */
  metricsRegistry?: Registry;
  /** Store that makes consumers idempotent on the event id; required unless every consumer sets `deduplicate: false`. */
  idempotency?: IdempotencyStore;
  /** Defaults for every consumer of this app. */
  consumerDefaults?: { prefetch?: number; retry?: Partial<RetryPolicy>; shutdownTimeoutMs?: number };
  /** Start consumers on application bootstrap (default true). */
  startConsumers?: boolean;
}

export interface MessagingModuleAsyncOptions {
  imports?: any[];
  inject?: any[];
  useFactory: (...args: any[]) => MessagingModuleOptions | Promise<MessagingModuleOptions>;
}

/** Credentials never reach logs or errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** The messaging variables of a service's env (see MessagingEnv). */
export interface MessagingVariables {
  RABBITMQ_URL: string;
}

type EnvClass = new (...args: any[]) => BaseEnv;

/**
 * Adds RABBITMQ_URL (read by `MessagingModule.forRoot()`) to a service's env class, validated at
 * start-up (a missing or bad value stops the start naming it): `class AppEnv extends MessagingEnv(BaseEnv)`.
 */
export function MessagingEnv<TBase extends EnvClass>(Base: TBase) {
  class WithMessagingEnv extends Base implements MessagingVariables {
    /** amqp://user:pass@host:5672/vhost: the broker the service publishes to and consumes from. */
    @IsString() @Matches(/^amqps?:\/\/\S+$/, { message: 'RABBITMQ_URL must be an amqp:// or amqps:// URL' })
    RABBITMQ_URL!: string;
  }
  return WithMessagingEnv;
}
