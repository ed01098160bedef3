import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module';
import { RulesModule } from '../rules/rules.module';
import { DeliveriesGrpcController } from './deliveries.grpc.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliveryWorker } from './delivery-worker';
import { RuleTriggerConsumer } from './rule-trigger.consumer';

/** Events → deliveries (rules), the worker that sends them, the log and replays. */
@Module({
  imports: [ConnectionsModule, RulesModule],
  controllers: [DeliveriesGrpcController],
  providers: [DeliveryWorker, DeliveriesService, RuleTriggerConsumer],
  exports: [DeliveriesService, DeliveryWorker],
})
export class DeliveriesModule {}
