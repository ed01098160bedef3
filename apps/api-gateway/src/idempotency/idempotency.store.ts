import { createHash, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { ConflictError, DomainError, UnavailableError } from '@aether/service-kit';
import { status as GrpcStatus } from '@grpc/grpc-js';

/** Same Idempotency-Key with a different request body → 422. */
export class IdempotencyKeyReusedError extends DomainError {
  // No gRPC status maps to 422; the gateway renders this one itself (see problem-details).
  readonly grpcStatus = GrpcStatus.INVALID_ARGUMENT;
  readonly httpStatus = 422;
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body');
  }
}

interface PendingRecord {
  state: 'pending';
  bodyHash: string;
  owner: string;
}

interface DoneRecord {
  state: 'done';
  bodyHash: string;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type StoredRecord = PendingRecord | DoneRecord;

export type IdempotencyOutcome =
  | { kind: 'proceed'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: unknown; headers: Record<string, string> };

export interface IdempotencyClaim {
  redisKey: string;
  bodyHash: string;
  owner: string;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` count as the same body. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function hashBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

// Deletes the pending marker only if this request still owns it.
const RELEASE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) and string.find(v, '"pending"', 1, true) then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Idempotency records in Redis, one per (identity, route, key): first a `pending` marker taken
 * with SET NX (so a concurrent duplicate sees it and gets 409), then the first successful answer
 * for `ttlSeconds`. A failed first attempt releases the key, so the client may retry it.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
    /** How long an in-flight request holds its key if the process dies before answering. */
    private readonly pendingTtlSeconds = 60,
  ) {}

  redisKey(scope: string, route: string, idempotencyKey: string): string {
    const keyHash = createHash('sha256').update(idempotencyKey).digest('hex');
    return `${this.keyPrefix}idem:${scope}:${route}:${keyHash}`;
  }

  async begin(scope: string, route: string, idempotencyKey: string, body: unknown): Promise<IdempotencyOutcome> {
    const redisKey = this.redisKey(scope, route, idempotencyKey);
    const bodyHash = hashBody(body);
    const owner = randomUUID();
    const pending: PendingRecord = { state: 'pending', bodyHash, owner };
    for (let attempt = 0; attempt < 3; attempt++) {
      const taken = await this.guard(this.redis.set(redisKey, JSON.stringify(pending), 'EX', this.pendingTtlSeconds, 'NX'));
      if (taken === 'OK') return { kind: 'proceed', claim: { redisKey, bodyHash, owner } };
      const raw = await this.guard(this.redis.get(redisKey));
      if (raw === null) continue; // expired or released between SET and GET: try to take it again
      const existing = JSON.parse(raw) as StoredRecord;
      if (existing.bodyHash !== bodyHash) throw new IdempotencyKeyReusedError();
      if (existing.state === 'pending') {
        throw new ConflictError(
          'IDEMPOTENCY_REQUEST_IN_PROGRESS',
          'A request with this Idempotency-Key is still being processed; retry shortly',
        );
      }
      return { kind: 'replay', status: existing.status, body: existing.body, headers: existing.headers ?? {} };
    }
    throw new ConflictError('IDEMPOTENCY_REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is being processed');
  }

  /** Stores the answer; `headers` are the few that belong to it (Location, ETag). */
  async complete(claim: IdempotencyClaim, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    const done: DoneRecord = { state: 'done', bodyHash: claim.bodyHash, status, body: body ?? null, headers };
    await this.guard(this.redis.set(claim.redisKey, JSON.stringify(done), 'EX', this.ttlSeconds));
  }

  async release(claim: IdempotencyClaim): Promise<void> {
    await this.guard(this.redis.eval(RELEASE_SCRIPT, 1, claim.redisKey, claim.owner));
  }

  /** Redis errors become 503: the promise of "at most once" cannot be kept without the store. */
  private async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch {
      throw new UnavailableError('The idempotency store is unavailable; retry later');
    }
  }
}
