import { MessagingModule } from '@aether/messaging';
import { Module } from '@nestjs/common';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { ClockModule } from './config/clock.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { KeysModule } from './keys/keys.module';
import { securityAuthModule } from './keys/security-auth.module';
import { ServiceClientsModule } from './service-clients/service-clients.module';
import { SessionsModule } from './sessions/sessions.module';
import { UsersModule } from './users/users.module';

/** Everything the security service runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    ClockModule,
    DatabaseModule,
    MessagingModule.forRoot(),
    EventsModule.forRoot(),
    securityAuthModule(),
    KeysModule,
    AuditModule,
    UsersModule,
    SessionsModule,
    ApiKeysModule,
    ServiceClientsModule,
  ],
})
export class SecurityModule {}
