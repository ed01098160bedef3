import type { Principal } from '@aether/auth';
import { parseGatewayConfig } from '../config/gateway-config';
import type { Budgets } from './budgets';
import { LimitPolicy } from './limit-policy';

const config = parseGatewayConfig({
  providers: {},
  limits: {
    developer: { usdPerDay: 5, requestsPerMinute: 120 },
    service: { usdPerDay: 20, requestsPerMinute: 60 },
  },
});
const policy = new LimitPolicy(config, {} as Budgets);

const user: Principal = { userId: '3f0c2a4e-8d51-4a37-9a0f-4c1b2d3e4f50', email: 'd@example.com', roles: ['developer'], permissions: ['ai:use'], accessToken: 't' };
const service: Principal = { userId: 'service:code-assistant', serviceId: 'code-assistant', email: '', roles: [], permissions: ['ai:use'], accessToken: 't' };

describe('LimitPolicy subjects', () => {
  it("counts a user's spend under the user (and the API key), with the role's limits", () => {
    expect(policy.subjectsOf(user)).toEqual([{ subject: `user:${user.userId}`, defaults: { usdPerDay: 5, requestsPerMinute: 120 } }]);
    expect(policy.subjectsOf({ ...user, apiKeyId: 'k' }).map((s) => s.subject)).toEqual([`user:${user.userId}`, 'key:k']);
  });

  it("counts a service principal's spend under the service, with limits.service (never unlimited by having no role)", () => {
    expect(policy.subjectsOf(service)).toEqual([{ subject: 'service:code-assistant', defaults: { usdPerDay: 20, requestsPerMinute: 60 } }]);
  });
});
