import { Inject, Injectable } from '@nestjs/common';
import type { aiGatewayV1 } from '@aether/contracts';
import { type GatewayConfig, LOCAL_EMBEDDING_MODEL, splitModel } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/tokens';
import { CircuitBreakers } from '../routing/circuit-breaker';

/** Aliases first, then the priced models, then the built-in embeddings model. */
@Injectable()
export class ModelsService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly breakers: CircuitBreakers,
  ) {}

  async list(): Promise<aiGatewayV1.ListModelsResponse> {
    const items: aiGatewayV1.Model[] = [];
    const reachable = async (id: string) => (await this.breakers.state(id)) !== 'open';
    for (const [alias, steps] of this.config.aliases) {
      const targets = steps.flat().map((d) => d.model);
      const up = await Promise.all(targets.map(reachable));
      const first = targets.find((_, i) => up[i]) ?? targets[0];
      items.push({ id: alias, provider: splitModel(first)?.provider ?? '', alias: true, targets, kind: 'chat', reachable: up.some(Boolean) });
    }
    for (const id of this.config.models.keys()) {
      items.push({ id, provider: splitModel(id)!.provider, alias: false, targets: [], kind: /embed/i.test(id) ? 'embedding' : 'chat', reachable: await reachable(id) });
    }
    items.push({ id: LOCAL_EMBEDDING_MODEL, provider: 'local', alias: false, targets: [], kind: 'embedding', reachable: true });
    return { items };
  }
}
