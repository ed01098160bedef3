import { Metadata } from '@grpc/grpc-js';
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
