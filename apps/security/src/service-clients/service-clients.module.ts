import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { ServiceTokensGrpcController } from './service-tokens.grpc.controller';
import { ServiceTokensService } from './service-tokens.service';

/** Service identities: client credentials (SERVICE_CLIENT_SECRETS) exchanged for service tokens. */
@Module({
  imports: [KeysModule],
  controllers: [ServiceTokensGrpcController],
  providers: [ServiceTokensService],
})
export class ServiceClientsModule {}
