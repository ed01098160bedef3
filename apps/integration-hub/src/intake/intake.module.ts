import { Module } from '@nestjs/common';
import { periodicJobProvider } from '@aether/service-kit';
import { ConnectionsModule } from '../connections/connections.module';
import { IntakeGrpcController } from './intake.grpc.controller';
import { IntakeService } from './intake.service';

/** Verified webhook intake, and the purge of old receipts (WEBHOOK_RECEIPT_RETENTION_DAYS). */
@Module({
  imports: [ConnectionsModule],
  controllers: [IntakeGrpcController],
  providers: [
    IntakeService,
    periodicJobProvider('ReceiptPurgeJob', [IntakeService], (intake: IntakeService) => ({
      name: 'ReceiptPurgeJob',
      intervalMs: 3_600_000,
      initialDelayMs: 60_000,
      run: async () => ((await intake.purgeReceipts()) === 5000 ? 'again' : undefined),
    })),
  ],
})
export class IntakeModule {}
