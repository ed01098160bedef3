import { Body, Controller, Get, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { securityV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { Public } from '@aether/auth';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
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
  @Public()
  @RateLimit('auth')
  @Idempotent()
  @ApiCreatedResponse({ type: UserDto, description: 'The new account (role developer)' })
  @ApiConflictResponse({ type: ProblemDto, description: 'EMAIL_TAKEN' })
  async register(@Body() dto: RegisterDto, @CallMetadata() md: Metadata): Promise<UserDto> {
    return toUser(await firstValueFrom(this.security.register(dto, md)));
  }

  @Post('login')
  @HttpCode(200)
  @Public()
  @RateLimit('auth')
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'INVALID_CREDENTIALS' })
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
  @Public()
  @ApiOkResponse({ type: TokenPairDto, description: 'A new pair; the presented refresh token is spent' })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'TOKEN_REUSED (the whole login family is revoked) or invalid token' })
  async refresh(@Body() dto: RefreshTokenDto, @Ip() ip: string, @CallMetadata() md: Metadata): Promise<TokenPairDto> {
    return toTokenPair(await firstValueFrom(this.security.refresh({ refreshToken: dto.refreshToken, clientIp: ip ?? '' }, md)));
  }

  @Post('logout')
  @HttpCode(204)
  @Public()
  @ApiNoContentResponse({ description: 'The login family of this refresh token is revoked' })
  async logout(@Body() dto: RefreshTokenDto, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.security.logout({ refreshToken: dto.refreshToken }, md));
  }

  @Get('me')
  @ApiAuthenticated()
  @ApiOkResponse({ type: MeDto })
  async me(@CallMetadata() md: Metadata): Promise<MeDto> {
    return toMe(await firstValueFrom(this.security.getMe({}, md)));
  }
}
