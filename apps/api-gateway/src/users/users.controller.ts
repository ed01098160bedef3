import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { securityV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { RequirePermissions } from '@aether/auth';
import { UserDto } from '../auth/auth.dto';
import { toUser } from '../auth/auth.mapping';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { Page, PageOf, PageQueryDto, pageRequest, toPage } from '../http/pagination';
import { uuidPipe } from '../http/uuid-param';
import { SetRolesDto } from './users.dto';

const UserPage = PageOf(UserDto, 'UserPage');

/** User administration (admin only). */
@ApiTags('users')
@ApiAuthenticated()
@ApiProblems()
@RequirePermissions('users:manage')
@Controller('api/v1/users')
export class UsersController {
  constructor(@InjectGrpcClient('security') private readonly security: securityV1.SecurityServiceClient) {}

  @Get()
  @ApiOperation({ summary: 'List users (admin)' })
  @ApiOkResponse({ type: UserPage })
  async list(@Query() q: PageQueryDto, @CallMetadata() md: Metadata): Promise<Page<UserDto>> {
    return toPage(await firstValueFrom(this.security.listUsers({ page: pageRequest(q) }, md)), toUser);
  }

  @Put(':id/roles')
  @ApiOperation({ summary: "Replace a user's roles (admin)" })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async setRoles(@Param('id', uuidPipe) id: string, @Body() dto: SetRolesDto, @CallMetadata() md: Metadata): Promise<UserDto> {
    return toUser(await firstValueFrom(this.security.setUserRoles({ userId: id, roles: dto.roles }, md)));
  }
}
