import { Module } from '@nestjs/common';
import { OutboxModule } from '@aether/messaging';
import { CodeEvents } from './code-events';

/** code-assistant.* events through the transactional outbox (relayed after each commit). */
@Module({
  imports: [OutboxModule.forRoot()],
  providers: [CodeEvents],
  // OutboxModule too: pull-requests/ publishes inside its own transaction.
  exports: [CodeEvents, OutboxModule],
})
export class EventsModule {}
