import { GrpcAuthAppGuard } from '@aether/auth';
import { AmqpReadiness, MessagingModule } from '@aether/messaging';
import { ServiceKitModule, TypeOrmReadiness } from '@aether/service-kit';
import { Module } from '@nestjs/common';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { ClockModule } from './config/clock.module';
import { SecurityEnv } from './config/security.env';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { KeysModule } from './keys/keys.module';
import { securityAuthModule } from './keys/security-auth.module';
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
    securityAuthModule(),
    KeysModule,
    AuditModule,
    UsersModule,
    SessionsModule,
    ApiKeysModule,
  ],
  providers: [GrpcAuthAppGuard],
})
export class AppModule {}
