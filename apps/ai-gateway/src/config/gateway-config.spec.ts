import { parse } from 'yaml';
import { GatewayConfigError, parseGatewayConfig } from './gateway-config';

/** The operator configuration exactly as the REST contract shows it. */
const CONTRACT_EXAMPLE = `
providers:
  openai:    { kind: openai,    baseUrl: https://api.openai.com/v1,    apiKeyEnv: OPENAI_API_KEY }
  anthropic: { kind: anthropic, baseUrl: https://api.anthropic.com,    apiKeyEnv: ANTHROPIC_API_KEY }
  groq:      { kind: openai,    baseUrl: https://api.groq.com/openai/v1, apiKeyEnv: GROQ_API_KEY }
  ollama:    { kind: openai,    baseUrl: http://127.0.0.1:11434/v1 }            # no key
models:
  openai/gpt-4o-mini: { inputPerMTok: 0.15, outputPerMTok: 0.60, contextWindow: 128000 }
aliases:
  fast: [groq/llama-3.1-8b-instant, openai/gpt-4o-mini]
limits:
  developer: { usdPerDay: 5, tokensPerMinute: 200000, requestsPerMinute: 120 }
cache: { ttlSeconds: 3600 }
`;

const problemsOf = (yaml: string): string => {
  try {
    parseGatewayConfig(parse(yaml));
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayConfigError);
    return (e as Error).message;
  }
};

describe('AI_GATEWAY_CONFIG', () => {
  it('accepts the contract example as is, plus the built-in local provider', () => {
    const c = parseGatewayConfig(parse(CONTRACT_EXAMPLE));
    expect([...c.providers.keys()]).toEqual(['openai', 'anthropic', 'groq', 'ollama', 'local']);
    expect(c.providers.get('ollama')).toMatchObject({ kind: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', apiKeyEnv: undefined });
    expect(c.aliases.get('fast')).toEqual([[{ model: 'groq/llama-3.1-8b-instant', weight: 1 }], [{ model: 'openai/gpt-4o-mini', weight: 1 }]]);
    expect(c.models.get('openai/gpt-4o-mini')).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6, contextWindow: 128000 });
    expect(c.limits.get('developer')).toEqual({ usdPerDay: 5, tokensPerMinute: 200000, requestsPerMinute: 120 });
    expect(c.cache.ttlSeconds).toBe(3600);
  });

  it('takes weighted steps in an alias', () => {
    const c = parseGatewayConfig(parse(`${CONTRACT_EXAMPLE}\n`.replace('fast: [groq/llama-3.1-8b-instant, openai/gpt-4o-mini]', 'fast: [[{ model: groq/a, weight: 3 }, openai/b], anthropic/c]')));
    expect(c.aliases.get('fast')).toEqual([
      [
        { model: 'groq/a', weight: 3 },
        { model: 'openai/b', weight: 1 },
      ],
      [{ model: 'anthropic/c', weight: 1 }],
    ]);
  });

  it('names every bad key', () => {
    const msg = problemsOf(`
providers:
  openai: { kind: openia, baseUrl: ftp://x, apiKeyEnv: "sk-live-123", timeout: 5 }
  local: { kind: openai, baseUrl: http://x }
models:
  gpt-4o: { inputPerMTok: -1, outputPerMTok: cheap }
aliases:
  fast: [missing/model, { model: openai/x, weight: 0 }]
  empty: []
limits:
  developer: { usdPerDay: -5, tokensPerMinute: 1.5 }
cache: { ttlSeconds: forever }
extra: 1
`);
    for (const expected of [
      'extra: unknown key',
      'providers.openai.kind: must be openai or anthropic',
      'providers.openai.baseUrl: must be an http:// or https:// URL',
      'providers.openai.apiKeyEnv: must be the name of an environment variable',
      'providers.openai.timeout: unknown key',
      'providers.local: "local" is the built-in embeddings provider',
      'models.gpt-4o: "gpt-4o" must be "<provider>/<model>"',
      'models.gpt-4o.inputPerMTok: must be a number ≥ 0',
      'models.gpt-4o.outputPerMTok: must be a number ≥ 0',
      'aliases.fast[0]: provider "missing" is not configured under providers',
      'aliases.fast[1].weight: must be a number > 0',
      'aliases.empty: must be a non-empty list',
      'limits.developer.usdPerDay: must be a number ≥ 0',
      'limits.developer.tokensPerMinute: must be an integer ≥ 0',
      'cache.ttlSeconds: must be an integer from 0 (off) to 2592000',
    ]) {
      expect(msg).toContain(expected);
    }
    expect(msg).not.toContain('sk-live-123'); // a key pasted by mistake is never echoed
  });
});
