import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * The operator configuration (AI_GATEWAY_CONFIG, fixed format — see README.md):
 * providers, model prices, aliases, role limits and the cache TTL. Validated once at start-up;
 * a bad file stops the service with a message naming the key (`aliases.fast[1]: ...`).
 */

export type ProviderKind = 'openai' | 'anthropic' | 'local';

export interface ProviderConfig {
  name: string;
  kind: ProviderKind;
  baseUrl: string;
  /** The environment variable holding the key (never the key itself). */
  apiKeyEnv?: string;
  /** Total time one call may take; overrides AI_TOTAL_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface ModelConfig {
  inputPerMTok: number;
  outputPerMTok: number;
  contextWindow?: number;
}

/** One deployment of an alias step: a `<provider>/<model>` and its load-balancing weight. */
export interface Deployment {
  model: string;
  weight: number;
}

export interface RoleLimits {
  usdPerDay?: number;
  tokensPerMinute?: number;
  requestsPerMinute?: number;
}

export interface GatewayConfig {
  providers: Map<string, ProviderConfig>;
  models: Map<string, ModelConfig>;
  /** Alias → ordered steps; a step of several deployments is load-balanced by weight. */
  aliases: Map<string, Deployment[][]>;
  limits: Map<string, RoleLimits>;
  cache: { ttlSeconds: number };
}

/** The built-in provider of offline embeddings; nothing else is built in. */
export const LOCAL_PROVIDER = 'local';
export const LOCAL_EMBEDDING_MODEL = 'local/use-512';

export class GatewayConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(`AI_GATEWAY_CONFIG ${file} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'GatewayConfigError';
  }
}

const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ROLE_NAME = /^[a-z][a-z0-9_-]*$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits `<provider>/<model>` at the first slash (model names may hold slashes: `meta-llama/Llama-3`). */
export function splitModel(id: string): { provider: string; model: string } | undefined {
  const slash = id.indexOf('/');
  if (slash <= 0 || slash === id.length - 1) return undefined;
  return { provider: id.slice(0, slash), model: id.slice(slash + 1) };
}

export function loadGatewayConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GatewayConfigError(file, [`cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new GatewayConfigError(file, [`is not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseGatewayConfig(doc, file);
}

/** Validates a parsed document; every problem is reported, each naming its key. */
export function parseGatewayConfig(doc: unknown, file = '<config>'): GatewayConfig {
  const problems: string[] = [];
  const bad = (key: string, msg: string) => problems.push(`${key}: ${msg}`);
  const root = doc ?? {};
  if (!isRecord(root)) throw new GatewayConfigError(file, ['the document must be a mapping']);
  for (const key of Object.keys(root)) {
    if (!['providers', 'models', 'aliases', 'limits', 'cache'].includes(key)) bad(key, 'unknown key (expected providers, models, aliases, limits, cache)');
  }

  const providers = new Map<string, ProviderConfig>();
  const rawProviders = root.providers ?? {};
  if (!isRecord(rawProviders)) bad('providers', 'must be a mapping of provider name → { kind, baseUrl, apiKeyEnv?, timeoutMs? }');
  else {
    for (const [name, raw] of Object.entries(rawProviders)) {
      const key = `providers.${name}`;
      if (!PROVIDER_NAME.test(name)) bad(key, 'a provider name is lower-case letters, digits, - and _');
      if (name === LOCAL_PROVIDER) bad(key, `"${LOCAL_PROVIDER}" is the built-in embeddings provider and cannot be configured`);
      if (!isRecord(raw)) {
        bad(key, 'must be a mapping { kind, baseUrl, apiKeyEnv?, timeoutMs? }');
        continue;
      }
      for (const k of Object.keys(raw)) if (!['kind', 'baseUrl', 'apiKeyEnv', 'timeoutMs'].includes(k)) bad(`${key}.${k}`, 'unknown key');
      if (raw.kind !== 'openai' && raw.kind !== 'anthropic') bad(`${key}.kind`, 'must be openai or anthropic');
      let baseUrl = '';
      if (typeof raw.baseUrl !== 'string') bad(`${key}.baseUrl`, 'is required (http:// or https:// URL)');
      else {
        try {
          const u = new URL(raw.baseUrl);
          if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
          if (u.search || u.hash || u.username || u.password) bad(`${key}.baseUrl`, 'must not hold a query, fragment or credentials');
          baseUrl = raw.baseUrl.replace(/\/+$/, '');
        } catch {
          bad(`${key}.baseUrl`, 'must be an http:// or https:// URL');
        }
      }
      if (raw.apiKeyEnv !== undefined && (typeof raw.apiKeyEnv !== 'string' || !ENV_NAME.test(raw.apiKeyEnv))) {
        bad(`${key}.apiKeyEnv`, 'must be the name of an environment variable (the key itself never goes in this file)');
      }
      if (raw.timeoutMs !== undefined && !(Number.isInteger(raw.timeoutMs) && (raw.timeoutMs as number) >= 10 && (raw.timeoutMs as number) <= 3_600_000)) {
        bad(`${key}.timeoutMs`, 'must be an integer from 10 to 3600000');
      }
      providers.set(name, {
        name,
        kind: raw.kind as ProviderKind,
        baseUrl,
        apiKeyEnv: raw.apiKeyEnv as string | undefined,
        timeoutMs: raw.timeoutMs as number | undefined,
      });
    }
  }
  providers.set(LOCAL_PROVIDER, { name: LOCAL_PROVIDER, kind: 'local', baseUrl: '' });

  const knownModel = (key: string, id: unknown): id is string => {
    if (typeof id !== 'string') {
      bad(key, 'must be "<provider>/<model>"');
      return false;
    }
    const parts = splitModel(id);
    if (!parts) bad(key, `"${id}" must be "<provider>/<model>"`);
    else if (!providers.has(parts.provider)) bad(key, `provider "${parts.provider}" is not configured under providers`);
    else return true;
    return false;
  };

  const models = new Map<string, ModelConfig>();
  const rawModels = root.models ?? {};
  if (!isRecord(rawModels)) bad('models', 'must be a mapping of "<provider>/<model>" → { inputPerMTok, outputPerMTok, contextWindow? }');
  else {
    for (const [id, raw] of Object.entries(rawModels)) {
      const key = `models.${id}`;
      knownModel(key, id);
      if (!isRecord(raw)) {
        bad(key, 'must be a mapping { inputPerMTok, outputPerMTok, contextWindow? }');
        continue;
      }
      for (const k of Object.keys(raw)) if (!['inputPerMTok', 'outputPerMTok', 'contextWindow'].includes(k)) bad(`${key}.${k}`, 'unknown key');
      for (const k of ['inputPerMTok', 'outputPerMTok'] as const) {
        if (typeof raw[k] !== 'number' || !Number.isFinite(raw[k]) || (raw[k] as number) < 0) bad(`${key}.${k}`, 'must be a number ≥ 0 (USD per million tokens)');
      }
      if (raw.contextWindow !== undefined && !(Number.isInteger(raw.contextWindow) && (raw.contextWindow as number) > 0)) {
        bad(`${key}.contextWindow`, 'must be a positive integer (tokens)');
      }
      models.set(id, {
        inputPerMTok: Number(raw.inputPerMTok) || 0,
        outputPerMTok: Number(raw.outputPerMTok) || 0,
        contextWindow: raw.contextWindow as number | undefined,
      });
    }
  }

  const aliases = new Map<string, Deployment[][]>();
  const rawAliases = root.aliases ?? {};
  if (!isRecord(rawAliases)) bad('aliases', 'must be a mapping of alias → ordered list of "<provider>/<model>"');
  else {
    for (const [alias, raw] of Object.entries(rawAliases)) {
      const key = `aliases.${alias}`;
      if (alias.includes('/')) bad(key, 'an alias must not contain "/" (that is how provider models are named)');
      if (!Array.isArray(raw) || raw.length === 0) {
        bad(key, 'must be a non-empty list of "<provider>/<model>" (or of steps: lists of { model, weight })');
        continue;
      }
      const steps: Deployment[][] = [];
      raw.forEach((entry: unknown, i: number) => {
        const stepKey = `${key}[${i}]`;
        const items = Array.isArray(entry) ? entry : [entry];
        if (items.length === 0) bad(stepKey, 'an empty step');
        const step: Deployment[] = [];
        items.forEach((item: unknown, j: number) => {
          const itemKey = Array.isArray(entry) ? `${stepKey}[${j}]` : stepKey;
          if (typeof item === 'string') {
            if (knownModel(itemKey, item)) step.push({ model: item, weight: 1 });
          } else if (isRecord(item)) {
            for (const k of Object.keys(item)) if (!['model', 'weight'].includes(k)) bad(`${itemKey}.${k}`, 'unknown key');
            const weight = item.weight ?? 1;
            if (typeof weight !== 'number' || !(weight > 0)) bad(`${itemKey}.weight`, 'must be a number > 0');
            if (knownModel(`${itemKey}.model`, item.model)) step.push({ model: item.model, weight: Number(weight) });
          } else bad(itemKey, 'must be "<provider>/<model>" or { model, weight }');
        });
        if (step.length > 0) steps.push(step);
      });
      aliases.set(alias, steps);
    }
  }

  const limits = new Map<string, RoleLimits>();
  const rawLimits = root.limits ?? {};
  if (!isRecord(rawLimits)) bad('limits', 'must be a mapping of role → { usdPerDay?, tokensPerMinute?, requestsPerMinute? }');
  else {
    for (const [role, raw] of Object.entries(rawLimits)) {
      const key = `limits.${role}`;
      if (!ROLE_NAME.test(role)) bad(key, 'must be a role name (admin, developer, viewer)');
      if (!isRecord(raw)) {
        bad(key, 'must be a mapping { usdPerDay?, tokensPerMinute?, requestsPerMinute? }');
        continue;
      }
      for (const k of Object.keys(raw)) if (!['usdPerDay', 'tokensPerMinute', 'requestsPerMinute'].includes(k)) bad(`${key}.${k}`, 'unknown key');
      if (raw.usdPerDay !== undefined && !(typeof raw.usdPerDay === 'number' && raw.usdPerDay >= 0)) bad(`${key}.usdPerDay`, 'must be a number ≥ 0');
      for (const k of ['tokensPerMinute', 'requestsPerMinute'] as const) {
        if (raw[k] !== undefined && !(Number.isInteger(raw[k]) && (raw[k] as number) >= 0 && (raw[k] as number) <= 2_000_000_000)) bad(`${key}.${k}`, 'must be an integer ≥ 0');
      }
      limits.set(role, {
        usdPerDay: raw.usdPerDay as number | undefined,
        tokensPerMinute: raw.tokensPerMinute as number | undefined,
        requestsPerMinute: raw.requestsPerMinute as number | undefined,
      });
    }
  }

  let ttlSeconds = 3600;
  if (root.cache !== undefined) {
    if (!isRecord(root.cache)) bad('cache', 'must be a mapping { ttlSeconds }');
    else {
      for (const k of Object.keys(root.cache)) if (k !== 'ttlSeconds') bad(`cache.${k}`, 'unknown key');
      const t = root.cache.ttlSeconds;
      if (t !== undefined && !(Number.isInteger(t) && (t as number) >= 0 && (t as number) <= 30 * 86_400)) bad('cache.ttlSeconds', 'must be an integer from 0 (off) to 2592000');
      else if (t !== undefined) ttlSeconds = t as number;
    }
  }

  if (problems.length > 0) throw new GatewayConfigError(file, problems);
  return { providers, models, aliases, limits, cache: { ttlSeconds } };
}
