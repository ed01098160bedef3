import { AuthModule, GrpcAuthGuard } from '@aether/auth';
import { AmqpReadiness, MessagingModule } from '@aether/messaging';
import { ServiceKitModule, TypeOrmReadiness } from '@aether/service-kit';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { ClockModule } from './config/clock.module';
import { SecurityEnv } from './config/security.env';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { KeysModule } from './keys/keys.module';
import { SigningKeys } from './keys/signing-keys';
import { SessionsModule } from './sessions/sessions.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ServiceKitModule.forRoot({ name: 'security', env: SecurityEnv, readiness: [TypeOrmReadiness, AmqpReadiness] }),
    ClockModule,
    DatabaseModule,
    MessagingModule.forRootAsync({
      inject: [SecurityEnv],
      useFactory: (env: SecurityEnv) => ({ url: env.RABBITMQ_URL, source: 'security' }),
    }),
    EventsModule.forRoot(),
    // The service verifies the access tokens it issued with its own key set (no HTTP round trip).
    AuthModule.forRootAsync({
      imports: [KeysModule],
      inject: [SigningKeys, SecurityEnv],
      useFactory: (keys: SigningKeys, env: SecurityEnv) => ({
        issuer: env.AUTH_ISSUER,
        audience: env.AUTH_AUDIENCE,
        localJwks: async () => keys.jwks(),
      }),
    }),
    KeysModule,
    AuditModule,
    UsersModule,
    SessionsModule,
    ApiKeysModule,
  ],
  providers: [{ provide: APP_GUARD, useClass: GrpcAuthGuard }],
})
export class AppModule {}
