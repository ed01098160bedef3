import { Metadata } from '@grpc/grpc-js';
import { isIP } from 'node:net';
import type { Principal } from './principal';

/** Outgoing call metadata carrying `authorization: Bearer <token>`. */
export function bearerMetadata(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Metadata that makes the next service see the same caller (it verifies the token itself). */
export function forwardAuthMetadata(principal: Principal): Metadata {
  return bearerMetadata(principal.accessToken);
}

/**
 * What a service forwards of an incoming call when it calls another service for the same caller:
 * `authorization` (the next service verifies it and bills the same identity) and `x-request-id`.
 */
export function forwardedCallMetadata(incoming: Metadata): Metadata {
  const forwarded = new Metadata();
  for (const key of ['authorization', REQUEST_ID_METADATA]) {
    for (const value of incoming.get(key)) forwarded.add(key, value);
  }
  return forwarded;
}

/**
 * Metadata the gateway sets on every call it makes on behalf of a client (and services read):
 * the request id (shared by the logs of every hop) and the client as the gateway sees it
 * (TRUST_PROXY applied), for audit entries and sessions.
 */
export const REQUEST_ID_METADATA = 'x-request-id';
export const CLIENT_IP_METADATA = 'x-client-ip';
export const USER_AGENT_METADATA = 'x-user-agent';
export const USER_AGENT_MAX_LENGTH = 512;

/** Where a request came from, for audit entries and sessions. */
export interface ClientContext {
  ip?: string;
  userAgent?: string;
}

/** Only a well-formed IP address is kept: the audit log must not hold arbitrary caller text there. */
export function normaliseIp(value: string | undefined | null): string | undefined {
  const v = (value ?? '').trim();
  return v && isIP(v) ? v : undefined;
}

/** Printable ASCII only (what gRPC metadata may carry), trimmed and bounded; undefined when empty. */
export function normaliseUserAgent(value: string | undefined | null): string | undefined {
  const v = (value ?? '').replace(/[^\x20-\x7e]/g, '').trim().slice(0, USER_AGENT_MAX_LENGTH);
  return v || undefined;
}

function firstString(metadata: Metadata | undefined, key: string): string | undefined {
  const v = metadata?.get(key)?.[0];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The client of a gRPC call: `x-client-ip` / `x-user-agent` metadata when present (the gateway
 * sends them on every call), else `fallback` (request fields kept for callers that predate the
 * metadata).
 */
export function clientContextFrom(metadata: Metadata | undefined, fallback: ClientContext = {}): ClientContext {
  return {
    ip: normaliseIp(firstString(metadata, CLIENT_IP_METADATA)) ?? normaliseIp(fallback.ip),
    userAgent: normaliseUserAgent(firstString(metadata, USER_AGENT_METADATA)) ?? normaliseUserAgent(fallback.userAgent),
  };
}
