import { Metadata } from '@grpc/grpc-js';
import { forwardedCallMetadata, principalFrom } from '@aether/auth';

/** The caller of an RPC: its user id (recorded on what it creates) and its metadata (forwarded to ai-gateway). */
export interface Caller {
  userId: string;
  /** authorization and x-request-id of the incoming call: ai-gateway bills the same identity. */
  metadata: Metadata;
}

export function callerOf(md: Metadata): Caller {
  return { userId: principalFrom(md).userId, metadata: forwardedCallMetadata(md) };
}
