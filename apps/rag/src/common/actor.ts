import { Metadata } from '@grpc/grpc-js';
import { principalFrom } from '@aether/auth';

/** The caller of an RPC: its user id (recorded on what it creates) and its metadata (forwarded to ai-gateway). */
export interface Caller {
  userId: string;
  /** Only the authorization entry of the incoming metadata: ai-gateway bills the same identity. */
  metadata: Metadata;
}

export function callerOf(md: Metadata): Caller {
  const principal = principalFrom(md);
  const forwarded = new Metadata();
  for (const key of ['authorization', 'x-request-id']) {
    for (const value of md.get(key)) forwarded.add(key, value);
  }
  return { userId: principal.userId, metadata: forwarded };
}
