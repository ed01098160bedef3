import type { Metadata } from '@grpc/grpc-js';
import { isIP } from 'node:net';

/** Where a request came from, for audit entries and sessions. */
export interface ClientContext {
  ip?: string;
  userAgent?: string;
}

/** gRPC metadata the gateway sets on every call it makes on behalf of a client. */
export const CLIENT_IP_METADATA = 'x-client-ip';
export const USER_AGENT_METADATA = 'x-user-agent';
export const USER_AGENT_MAX_LENGTH = 512;

function first(metadata: Metadata | undefined, key: string): string | undefined {
  const v = metadata?.get(key)?.[0];
  return typeof v === 'string' ? v : undefined;
}

/** Only a well-formed IP address is kept: the audit log must not hold arbitrary caller text there. */
export function normaliseIp(value: string | undefined | null): string | undefined {
  const v = (value ?? '').trim();
  return v && isIP(v) ? v : undefined;
}

export function normaliseUserAgent(value: string | undefined | null): string | undefined {
  const v = (value ?? '').replace(/[^\x20-\x7e]/g, '').trim().slice(0, USER_AGENT_MAX_LENGTH);
  return v || undefined;
}

/**
 * The client of a gRPC call: `x-client-ip` / `x-user-agent` metadata when present (the gateway
 * sends them on every call), else `fallback` (the request fields of Login/Refresh, kept for
 * callers that predate the metadata).
 */
export function clientContextFrom(metadata: Metadata | undefined, fallback: ClientContext = {}): ClientContext {
  return {
    ip: normaliseIp(first(metadata, CLIENT_IP_METADATA)) ?? normaliseIp(fallback.ip),
    userAgent: normaliseUserAgent(first(metadata, USER_AGENT_METADATA)) ?? normaliseUserAgent(fallback.userAgent),
  };
}
