import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const HEX_ED25519_SIGNATURE = /^[0-9a-f]{128}$/i;
const HEX_ED25519_KEY = /^[0-9a-f]{64}$/i;

/** Equal-length digests compared in constant time; a malformed signature is simply not equal. */
function hmacMatches(secret: string, signed: Buffer, presentedHex: string): boolean {
  if (!HEX_SHA256.test(presentedHex)) return false;
  const expected = createHmac('sha256', secret).update(signed).digest();
  return timingSafeEqual(expected, Buffer.from(presentedHex, 'hex'));
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the webhook secret>`.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
export function verifyGithubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  return hmacMatches(secret, body, header.slice('sha256='.length));
}

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">`
 * under the app's signing secret, refused when the timestamp is further than `toleranceSeconds`
 * from `now` (replays). https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function verifySlackSignature(
  signingSecret: string,
  body: Buffer,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  now: Date,
  toleranceSeconds: number,
): boolean {
  if (!timestampHeader || !/^\d{1,12}$/.test(timestampHeader) || !signatureHeader?.startsWith('v0=')) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestampHeader)) > toleranceSeconds) return false;
  const signed = Buffer.concat([Buffer.from(`v0:${timestampHeader}:`, 'utf8'), body]);
  return hmacMatches(signingSecret, signed, signatureHeader.slice('v0='.length));
}

/** True when `hex` is an Ed25519 public key (32 bytes in hex), as Discord shows it for an application. */
export function isEd25519PublicKeyHex(hex: string): boolean {
  return HEX_ED25519_KEY.test(hex);
}

/** Ed25519 (RFC 8032) signature check of `message` under a raw 32-byte public key. */
export function verifyEd25519(publicKeyHex: string, message: Buffer, signatureHex: string): boolean {
  if (!isEd25519PublicKeyHex(publicKeyHex) || !HEX_ED25519_SIGNATURE.test(signatureHex)) return false;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyHex, 'hex').toString('base64url') }, format: 'jwk' });
  try {
    return verify(null, message, key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}

/**
 * Discord interactions: `X-Signature-Ed25519` (hex) over `X-Signature-Timestamp + raw body` under the
 * application's public key; the timestamp must also lie within `toleranceSeconds` of `now`.
 * https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
 */
export function verifyDiscordSignature(
  publicKeyHex: string,
  body: Buffer,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  now: Date,
  toleranceSeconds: number,
): boolean {
  if (!timestampHeader || !/^\d{1,12}$/.test(timestampHeader) || !signatureHeader) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestampHeader)) > toleranceSeconds) return false;
  return verifyEd25519(publicKeyHex, Buffer.concat([Buffer.from(timestampHeader, 'utf8'), body]), signatureHeader);
}
