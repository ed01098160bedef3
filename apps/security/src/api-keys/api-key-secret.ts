import { randomSecret, sha256Hex } from '../common/secrets';

export const API_KEY_PREFIX = 'ak_';
const DISPLAY_CHARS = 8;

/** A new key: the secret (shown once), its stored hash and the display prefix (`ak_` + 8 chars). */
export function newApiKeySecret(): { key: string; hash: string; prefix: string } {
  const key = API_KEY_PREFIX + randomSecret();
  return { key, hash: sha256Hex(key), prefix: key.slice(0, API_KEY_PREFIX.length + DISPLAY_CHARS) };
}

/** Only well-formed keys are looked up (`ak_` + 43 base64url chars). */
export function looksLikeApiKey(key: string | undefined | null): key is string {
  return typeof key === 'string' && /^ak_[A-Za-z0-9_-]{43}$/.test(key);
}

export const hashApiKey = sha256Hex;
