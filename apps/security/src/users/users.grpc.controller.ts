import { Controller } from '@nestjs/common';
import { clientContextFrom, permissionsForRoles, principalFrom, Public, RequirePermissions } from '@aether/auth';
import type { securityV1 } from '@aether/contracts';
import type { Metadata } from '@grpc/grpc-js';
import { GrpcMethod } from '@nestjs/microservices';
import { toUserMessage } from './user.mapper';
import { UsersService } from './users.service';

type UsersRpc = Pick<securityV1.SecurityServiceController, 'register' | 'getMe' | 'listUsers' | 'setUserRoles'>;

@Controller()
export class UsersGrpcController implements UsersRpc {
  constructor(private readonly users: UsersService) {}

  @Public()
  @GrpcMethod('SecurityService', 'Register')
  async register(req: securityV1.RegisterRequest, metadata: Metadata): Promise<securityV1.User> {
    return toUserMessage(await this.users.register(req, clientContextFrom(metadata)));
  }

  @GrpcMethod('SecurityService', 'GetMe')
  async getMe(_req: securityV1.GetMeRequest, metadata: Metadata): Promise<securityV1.Me> {
    const principal = principalFrom(metadata);
    const user = await this.users.getById(principal.userId);
    // Current roles decide; an API-key token is further limited to what its token carries.
    let permissions: string[] = permissionsForRoles(user.roles);
    if (principal.apiKeyId) permissions = permissions.filter((p) => (principal.permissions as string[]).includes(p));
    return { id: user.id, email: user.email, name: user.name, roles: user.roles, permissions };
  }

  @RequirePermissions('users:manage')
  @GrpcMethod('SecurityService', 'ListUsers')
  async listUsers(req: securityV1.ListUsersRequest): Promise<securityV1.ListUsersResponse> {
    const page = await this.users.list(req.page);
    return { items: page.items.map(toUserMessage), nextCursor: page.nextCursor };
  }

  @RequirePermissions('users:manage')
  @GrpcMethod('SecurityService', 'SetUserRoles')
  async setUserRoles(req: securityV1.SetUserRolesRequest, metadata: Metadata): Promise<securityV1.User> {
    const actor = principalFrom(metadata);
    return toUserMessage(await this.users.setRoles(actor.userId, req.userId, req.roles ?? [], clientContextFrom(metadata)));
  }
}
