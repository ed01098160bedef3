import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';
import { DatabaseModule } from './database/database.module';

/** Everything code-assistant runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    DatabaseModule,
    // Verifies the caller's token on every RPC (the kit installs the guard on the gRPC server).
    AuthModule.forRoot(),
  ],
})
export class CodeAssistantModule {}
