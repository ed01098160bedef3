import type { GatewayConfig } from '../config/gateway-config';
import { AnthropicProvider } from './anthropic.provider';
import { ProviderHttp } from './http-transport';
import { LocalEmbeddingsProvider } from './local-embeddings.provider';
import { OpenAiProvider } from './openai.provider';
import type { ChatProvider } from './provider';

/**
 * The configured providers, each with its HTTP pool and its key, read from the environment
 * variable the configuration names (a key never appears in the file; an unset variable means
 * "no key", which local servers such as Ollama and vLLM accept).
 */
export class ProviderRegistry {
  private readonly providers = new Map<string, ChatProvider>();
  private readonly pools: ProviderHttp[] = [];

  constructor(config: GatewayConfig, env: Record<string, unknown>, connectTimeoutMs: number) {
    for (const p of config.providers.values()) {
      if (p.kind === 'local') {
        this.providers.set(p.name, new LocalEmbeddingsProvider());
        continue;
      }
      const raw = p.apiKeyEnv ? env[p.apiKeyEnv] : undefined;
      const key = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
      const http = new ProviderHttp(connectTimeoutMs);
      this.pools.push(http);
      this.providers.set(p.name, p.kind === 'anthropic' ? new AnthropicProvider(p, http, key) : new OpenAiProvider(p, http, key));
    }
  }

  get(name: string): ChatProvider | undefined {
    return this.providers.get(name);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.pools.map((p) => p.close()));
  }
}
