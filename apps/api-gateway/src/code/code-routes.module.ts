import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { CodeController } from './code.controller';

/** /api/v1/code → code-assistant (CODE_ASSISTANT_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['code-assistant'])],
  controllers: [CodeController],
})
export class CodeRoutesModule {}
