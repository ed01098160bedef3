import { Metadata } from '@grpc/grpc-js';
import { bearerMetadata, forwardedCallMetadata, principalFrom } from '@aether/auth';

/**
 * Who a review or an assist runs for: the subject of its events and the metadata forwarded to
 * ai-gateway (only `authorization` and `x-request-id`, so ai-gateway bills the same identity).
 */
export interface Caller {
  /** The user (or service) id recorded as the subject of code-assistant's events. */
  subject: string;
  metadata: Metadata;
}

/** The caller of an RPC, from its verified token. */
export function callerOf(md: Metadata): Caller {
  return { subject: principalFrom(md).userId, metadata: forwardedCallMetadata(md) };
}

/** A caller that is not an RPC's (an event handler acting with a service token, e.g. pull-request reviews). */
export function callerWithToken(subject: string, accessToken: string): Caller {
  return { subject, metadata: bearerMetadata(accessToken) };
}
