import { DomainError, UnavailableError } from '../errors/domain-errors';

/**
 * Socket-level failures: the server is not there (or went away) — including a write to a
 * socket that the server's shutdown already closed (Node's stream codes).
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/**
 * SQLSTATEs that mean "the database cannot serve now", not "this statement is wrong":
 * class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up / recovering), 53300 too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages of node-postgres (client and pool) for a lost or impossible connection. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended unexpectedly',
];

function isConnectionFailure(err: unknown, depth: number): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  // TypeORM releases a query runner when its connection emits 'error' (the server went away
  // between two statements of a transaction); the next statement then fails with this error,
  // not the connection's. Seen as POST /tasks 500 while PostgreSQL shut down (e2e faults).
  // Matched by name (TypeORMError's name is its class's): importing typeorm here would load its
  // ~300 modules into the start of every service, those without PostgreSQL too (issue 16).
  if ((err as { name?: unknown }).name === 'QueryRunnerProviderAlreadyReleasedError') return true;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (NETWORK_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code)) return true;
    // A Unix-socket connection to a server that is not running.
    if (e.code === 'ENOENT' && (err as { syscall?: unknown }).syscall === 'connect') return true;
  }
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => (e.message as string).includes(m))) return true;
  // TypeORM wraps the driver's error (QueryFailedError.driverError); Node wraps one refused
  // connection per address in an AggregateError; anything may carry a `cause`.
  if (Array.isArray(e.errors) && e.errors.some((x) => isConnectionFailure(x, depth + 1))) return true;
  return isConnectionFailure(e.driverError, depth + 1) || isConnectionFailure(e.cause, depth + 1);
}

/** True when `err` says PostgreSQL is unreachable or refusing work, not that a statement failed. */
export function isDatabaseConnectionError(err: unknown): boolean {
  return !(err instanceof DomainError) && isConnectionFailure(err, 0);
}

/**
 * The kit's error mapping calls this first: a database outage becomes UNAVAILABLE (HTTP 503
 * UPSTREAM_UNAVAILABLE at the gateway, which may retry elsewhere) instead of INTERNAL.
 * Returns undefined for every other error.
 */
export function databaseUnavailableError(err: unknown): UnavailableError | undefined {
  return isDatabaseConnectionError(err) ? new UnavailableError('The database is unavailable') : undefined;
}
