import { createHash, randomBytes } from 'node:crypto';

/** 256 bits of randomness, URL-safe: opaque refresh tokens and API key secrets. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Tokens and API keys are high-entropy random strings, so a plain SHA-256 is enough to store them
 * (no salt/slow hash needed): a leaked table does not reveal usable credentials.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
