import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type Redis from 'ioredis';
import { ConflictError, DomainError, UnavailableError } from '@aether/service-kit';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { JsonTooDeepError, MAX_JSON_DEPTH } from '../http/json-body-parser';

/** Same Idempotency-Key with a different request body → 422. */
export class IdempotencyKeyReusedError extends DomainError {
  // No gRPC status maps to 422; the gateway renders this one itself (see problem-details).
  readonly grpcStatus = GrpcStatus.INVALID_ARGUMENT;
  readonly httpStatus = 422;
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body');
  }
}

/** Seconds a client is told to wait (Retry-After) before retrying a request still in flight. */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 1;

/**
 * A request with this Idempotency-Key is still being processed → 409 with Retry-After, as the
 * IETF Idempotency-Key draft (draft-ietf-httpapi-idempotency-key-header) describes: the retry
 * then gets the stored answer.
 */
export class IdempotencyRequestInProgressError extends ConflictError {
  readonly retryAfterSeconds = IN_PROGRESS_RETRY_AFTER_SECONDS;
  constructor() {
    super('IDEMPOTENCY_REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly');
  }
}

/**
 * What Redis holds. Nothing in it is readable without the client's raw Idempotency-Key:
 * `fingerprint` is an HMAC of the body under a key derived from it, `sealed` the AES-256-GCM
 * encrypted answer (status, body, headers) under another such key.
 */
interface PendingRecord {
  state: 'pending';
  fingerprint: string;
  owner: string;
}

interface DoneRecord {
  state: 'done';
  fingerprint: string;
  sealed: string;
}

type StoredRecord = PendingRecord | DoneRecord;

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export type IdempotencyOutcome =
  | { kind: 'proceed'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: unknown; headers: Record<string, string> };

export interface IdempotencyClaim {
  redisKey: string;
  fingerprint: string;
  owner: string;
  /** Encrypts the answer; lives only in this process, for the duration of the request. */
  sealKey: Buffer;
}

/**
 * JSON with object keys sorted, so `{a,b}` and `{b,a}` count as the same body. Recursive, so it
 * refuses what the gateway's JSON parser never lets through (nesting over MAX_JSON_DEPTH) rather
 * than overflow the stack.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (depth >= MAX_JSON_DEPTH) throw new JsonTooDeepError(MAX_JSON_DEPTH);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`;
  const entries = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`);
  return `{${entries.join(',')}}`;
}

// Deletes the pending marker only if this request still owns it.
const RELEASE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) and string.find(v, '"pending"', 1, true) then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const HKDF_INFO = 'aether-gateway-idempotency-v1';
const SEAL_VERSION = 'v1';

/** Per-request keys, derived from the raw Idempotency-Key (the client's secret) and the server's. */
interface DerivedKeys {
  sealKey: Buffer;
  macKey: Buffer;
}

/**
 * Idempotency records in Redis, one per (scope, route, key): first a `pending` marker taken with
 * SET NX (so a concurrent duplicate sees it and gets 409), then the first successful answer for
 * `ttlSeconds`. A failed first attempt releases the key, so the client may retry it.
 *
 * Someone who can read Redis learns neither the answers (a new API key's secret) nor anything
 * that helps guess the bodies (a password): the entry's name is an HMAC of (scope, route, key)
 * under the server secret, the body fingerprint an HMAC and the answer AES-256-GCM ciphertext,
 * both under keys derived (HKDF) from the raw Idempotency-Key plus the server secret. Only a
 * client presenting the same Idempotency-Key gets the answer back. See the README.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
    /** Server secret (IDEMPOTENCY_SECRET); every replica must share it. */
    private readonly secret: Buffer,
    /** How long an in-flight request holds its key if the process dies before answering. */
    private readonly pendingTtlSeconds = 60,
  ) {
    if (secret.length < 32) throw new Error('The idempotency secret must be at least 32 bytes');
  }

  redisKey(scope: string, route: string, idempotencyKey: string): string {
    const locator = createHmac('sha256', this.secret).update(`${scope}\0${route}\0${idempotencyKey}`).digest('hex');
    return `${this.keyPrefix}idem:${locator}`;
  }

  async begin(scope: string, route: string, idempotencyKey: string, body: unknown): Promise<IdempotencyOutcome> {
    const redisKey = this.redisKey(scope, route, idempotencyKey);
    const { sealKey, macKey } = this.derive(scope, route, idempotencyKey);
    const fingerprint = createHmac('sha256', macKey).update(canonicalJson(body)).digest('hex');
    const owner = randomUUID();
    const pending: PendingRecord = { state: 'pending', fingerprint, owner };
    for (let attempt = 0; attempt < 3; attempt++) {
      const taken = await this.guard(this.redis.set(redisKey, JSON.stringify(pending), 'EX', this.pendingTtlSeconds, 'NX'));
      if (taken === 'OK') return { kind: 'proceed', claim: { redisKey, fingerprint, owner, sealKey } };
      const raw = await this.guard(this.redis.get(redisKey));
      if (raw === null) continue; // expired or released between SET and GET: try to take it again
      const existing = JSON.parse(raw) as StoredRecord;
      if (!sameHex(existing.fingerprint, fingerprint)) throw new IdempotencyKeyReusedError();
      if (existing.state === 'pending') throw new IdempotencyRequestInProgressError();
      const answer = open(existing.sealed, sealKey, redisKey);
      return { kind: 'replay', status: answer.status, body: answer.body, headers: answer.headers };
    }
    throw new IdempotencyRequestInProgressError();
  }

  /** Stores the answer, encrypted; `headers` are the few that belong to it (Location, ETag). */
  async complete(claim: IdempotencyClaim, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    const sealed = seal({ status, body: body ?? null, headers }, claim.sealKey, claim.redisKey);
    const done: DoneRecord = { state: 'done', fingerprint: claim.fingerprint, sealed };
    await this.guard(this.redis.set(claim.redisKey, JSON.stringify(done), 'EX', this.ttlSeconds));
  }

  async release(claim: IdempotencyClaim): Promise<void> {
    await this.guard(this.redis.eval(RELEASE_SCRIPT, 1, claim.redisKey, claim.owner));
  }

  private derive(scope: string, route: string, idempotencyKey: string): DerivedKeys {
    const okm = Buffer.from(hkdfSync('sha256', idempotencyKey, this.secret, `${HKDF_INFO}\0${scope}\0${route}`, 64));
    return { sealKey: okm.subarray(0, 32), macKey: okm.subarray(32) };
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

function sameHex(a: string | undefined, b: string): boolean {
  const x = Buffer.from(a ?? '', 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** AES-256-GCM; the Redis key name is bound as associated data, so entries cannot be swapped. */
function seal(answer: Answer, key: Buffer, redisKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(redisKey));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(answer), 'utf8'), cipher.final()]);
  return [SEAL_VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join('.');
}

function open(sealed: string, key: Buffer, redisKey: string): Answer {
  try {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== SEAL_VERSION) throw new Error('unknown seal version');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(redisKey));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Answer;
  } catch {
    // Only a corrupted or foreign entry gets here (the fingerprint matched, so the keys did).
    throw new UnavailableError('The stored idempotent answer could not be read; retry later');
  }
}
