import { randomBytes } from 'node:crypto';
import { Violations } from '@aether/service-kit';
import { isEd25519PublicKeyHex } from '../intake/signatures';

export const CONNECTION_KINDS = ['github', 'slack', 'discord', 'webhook'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

export type ConnectionConfig = Record<string, string>;
export type ConnectionSecrets = Record<string, string>;

interface KindSpec {
  config: Record<string, (v: Violations, field: string, value: string) => void>;
  requiredConfig: string[];
  secrets: Record<string, (v: Violations, field: string, value: string) => void>;
  requiredSecrets: string[];
}

const MAX_SECRET_LENGTH = 4096;
const WHSEC = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** An http(s) URL without user info: where the hub sends (the address check happens at send time). */
function httpUrl(v: Violations, field: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    v.add(field, 'must be an http:// or https:// URL');
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') v.add(field, 'must be an http:// or https:// URL');
  else if (url.username || url.password) v.add(field, 'must not carry credentials (put them in secrets)');
  else if (value.length > 2048) v.add(field, 'must be at most 2048 characters');
}

function text(max: number) {
  return (v: Violations, field: string, value: string) => v.text(field, value, max);
}

/** Tokens and secrets are printable ASCII: anything else is a paste error, and could not travel in an HTTP header. */
const PRINTABLE_ASCII = /^[ -~]*$/;

function secretText(v: Violations, field: string, value: string): void {
  if (value.length > MAX_SECRET_LENGTH || !PRINTABLE_ASCII.test(value)) v.add(field, `must be at most ${MAX_SECRET_LENGTH} printable ASCII characters`);
}

function whsec(v: Violations, field: string, value: string): void {
  const m = WHSEC.exec(value);
  const bytes = m ? Buffer.from(m[1], 'base64').length : 0;
  if (bytes < 24 || bytes > 64) v.add(field, 'must be "whsec_" followed by 24 to 64 bytes in base64 (Standard Webhooks)');
}

function publicKeyHex(v: Violations, field: string, value: string): void {
  if (!isEd25519PublicKeyHex(value)) v.add(field, 'must be the application public key: 64 hexadecimal characters');
}

function secretUrl(v: Violations, field: string, value: string): void {
  secretText(v, field, value);
  httpUrl(v, field, value);
}

/** What each kind takes (REST contract "Integrations"). */
export const KIND_SPECS: Record<ConnectionKind, KindSpec> = {
  github: {
    config: { apiBaseUrl: httpUrl },
    requiredConfig: [],
    secrets: { webhookSecret: secretText, token: secretText },
    requiredSecrets: ['webhookSecret'],
  },
  slack: {
    config: { apiBaseUrl: httpUrl, channel: text(200) },
    requiredConfig: [],
    secrets: { signingSecret: secretText, botToken: secretText, incomingWebhookUrl: secretUrl },
    requiredSecrets: [],
  },
  discord: {
    config: { publicKey: publicKeyHex },
    requiredConfig: [],
    secrets: { webhookUrl: secretUrl },
    requiredSecrets: [],
  },
  webhook: {
    config: { url: httpUrl },
    requiredConfig: ['url'],
    secrets: { signingSecret: whsec },
    requiredSecrets: ['signingSecret'],
  },
};

export const DEFAULT_API_BASE_URLS: Partial<Record<ConnectionKind, string>> = {
  github: 'https://api.github.com',
  slack: 'https://slack.com/api',
};

/** A JSON object of strings, or a violation on `field`. */
export function parseStringObject(v: Violations, field: string, json: string): Record<string, string> | undefined {
  let value: unknown;
  try {
    value = json === '' ? {} : JSON.parse(json);
  } catch {
    v.add(field, 'must be a JSON object');
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    v.add(field, 'must be an object');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(value)) {
    if (typeof val !== 'string') v.add(`${field}.${k}`, 'must be a string');
    else out[k] = val;
  }
  return out;
}

export function checkConfig(v: Violations, kind: ConnectionKind, config: ConnectionConfig): void {
  const spec = KIND_SPECS[kind];
  for (const [k, value] of Object.entries(config)) {
    const check = spec.config[k];
    if (!check) v.add(`config.${k}`, `is not a setting of a ${kind} connection (allowed: ${Object.keys(spec.config).join(', ') || 'none'})`);
    else check(v, `config.${k}`, value);
  }
  for (const k of spec.requiredConfig) if (!(k in config)) v.add(`config.${k}`, `is required for a ${kind} connection`);
}

/** Checks secret names and values (an empty value = "remove" when `forUpdate`). */
export function checkSecrets(v: Violations, kind: ConnectionKind, secrets: ConnectionSecrets, forUpdate: boolean): void {
  const spec = KIND_SPECS[kind];
  for (const [k, value] of Object.entries(secrets)) {
    const check = spec.secrets[k];
    if (!check) v.add(`secrets.${k}`, `is not a secret of a ${kind} connection (allowed: ${Object.keys(spec.secrets).join(', ')})`);
    else if (value === '' && !forUpdate) v.add(`secrets.${k}`, 'must not be empty');
    else if (value !== '') check(v, `secrets.${k}`, value);
  }
}

export function checkRequiredSecrets(v: Violations, kind: ConnectionKind, secrets: ConnectionSecrets): void {
  for (const k of KIND_SPECS[kind].requiredSecrets) if (!secrets[k]) v.add(`secrets.${k}`, `is required for a ${kind} connection`);
}

/** A Standard Webhooks signing secret: "whsec_" + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
