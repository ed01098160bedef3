import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { integrationHubV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { toRuleMessage } from './rule';
import { RulesService } from './rules.service';

const SERVICE = 'IntegrationHubService';

/** gRPC transport of rules (admins: integrations:manage). */
@Controller()
export class RulesGrpcController {
  constructor(private readonly rules: RulesService) {}

  @GrpcMethod(SERVICE, 'CreateRule')
  @RequirePermissions('integrations:manage')
  async createRule(req: integrationHubV1.CreateRuleRequest): Promise<integrationHubV1.Rule> {
    return toRuleMessage(await this.rules.create(req));
  }

  @GrpcMethod(SERVICE, 'ListRules')
  @RequirePermissions('integrations:manage')
  async listRules(req: integrationHubV1.ListRulesRequest): Promise<integrationHubV1.ListRulesResponse> {
    const page = await this.rules.list(req);
    return { items: page.items.map(toRuleMessage), nextCursor: page.nextCursor };
  }

  @GrpcMethod(SERVICE, 'GetRule')
  @RequirePermissions('integrations:manage')
  async getRule(req: integrationHubV1.GetRuleRequest): Promise<integrationHubV1.Rule> {
    return toRuleMessage(await this.rules.get(req.id));
  }

  @GrpcMethod(SERVICE, 'UpdateRule')
  @RequirePermissions('integrations:manage')
  async updateRule(req: integrationHubV1.UpdateRuleRequest): Promise<integrationHubV1.Rule> {
    return toRuleMessage(await this.rules.update(req));
  }

  @GrpcMethod(SERVICE, 'DeleteRule')
  @RequirePermissions('integrations:manage')
  async deleteRule(req: integrationHubV1.DeleteRuleRequest): Promise<integrationHubV1.DeleteRuleResponse> {
    await this.rules.delete(req.id);
    return {};
  }
}
