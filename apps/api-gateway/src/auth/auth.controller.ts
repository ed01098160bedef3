import { Body, Controller, Get, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { securityV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto, PublicRoute } from '../http/openapi';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { LoginDto, MeDto, RefreshTokenDto, RegisterDto, TokenPairDto, UserDto } from './auth.dto';
import { toMe, toTokenPair, toUser } from './auth.mapping';

/** Accounts and sessions; security does the work, this only translates REST ⇄ gRPC. */
@ApiTags('auth')
@ApiProblems()
@Controller('api/v1/auth')
export class AuthController {
  constructor(@InjectGrpcClient('security') private readonly security: securityV1.SecurityServiceClient) {}

  @Post('register')
  @PublicRoute()
  @ApiOperation({ summary: 'Create an account' })
  @RateLimit('auth')
  @Idempotent()
  @ApiCreatedResponse({ type: UserDto, description: 'The new account (role developer)' })
  @ApiConflictResponse({ type: ProblemDto, description: 'EMAIL_TAKEN' })
  async register(@Body() dto: RegisterDto, @CallMetadata() md: Metadata): Promise<UserDto> {
    return toUser(await firstValueFrom(this.security.register(dto, md)));
  }

  @Post('login')
  @HttpCode(200)
  @PublicRoute()
  @ApiOperation({ summary: 'Log in: exchange email and password for a token pair' })
  @RateLimit('auth')
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'INVALID_CREDENTIALS (the same answer for an unknown email and a wrong password)' })
  async login(
    @Body() dto: LoginDto,
    @Ip() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
    @CallMetadata() md: Metadata,
  ): Promise<TokenPairDto> {
    const pair = await firstValueFrom(
      this.security.login({ ...dto, clientIp: ip ?? '', userAgent: (userAgent ?? '').slice(0, 512) }, md),
    );
    return toTokenPair(pair);
  }

  @Post('refresh')
  @HttpCode(200)
  @PublicRoute()
  @ApiOperation({ summary: 'Rotate a refresh token into a new token pair' })
  @ApiOkResponse({ type: TokenPairDto, description: 'A new pair; the presented refresh token is spent' })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'TOKEN_REUSED (the whole login family is revoked) or invalid token' })
  async refresh(@Body() dto: RefreshTokenDto, @Ip() ip: string, @CallMetadata() md: Metadata): Promise<TokenPairDto> {
    return toTokenPair(await firstValueFrom(this.security.refresh({ refreshToken: dto.refreshToken, clientIp: ip ?? '' }, md)));
  }

  @Post('logout')
  @HttpCode(204)
  @PublicRoute()
  @ApiOperation({ summary: 'Log out: revoke the login family of a refresh token' })
  @ApiNoContentResponse({ description: 'The login family of this refresh token is revoked' })
  async logout(@Body() dto: RefreshTokenDto, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.security.logout({ refreshToken: dto.refreshToken }, md));
  }

  @Get('me')
  @ApiAuthenticated()
  @ApiOperation({ summary: 'The caller: profile, roles and permissions' })
  @ApiOkResponse({ type: MeDto })
  async me(@CallMetadata() md: Metadata): Promise<MeDto> {
    return toMe(await firstValueFrom(this.security.getMe({}, md)));
  }
}
