import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module';
import { RulesGrpcController } from './rules.grpc.controller';
import { RulesService } from './rules.service';

@Module({
  imports: [ConnectionsModule],
  controllers: [RulesGrpcController],
  providers: [RulesService],
  exports: [RulesService],
})
export class RulesModule {}
