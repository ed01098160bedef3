import { Global, Module } from '@nestjs/common';
import { MessagingModule, OutboxModule } from '@aether/messaging';
import { MessagingEventOutbox } from './outbox-event-outbox';
import { EventOutbox } from './task-manager-events';

/** RabbitMQ connection + outbox relay; EventOutbox for the feature modules. */
@Global()
@Module({
  imports: [
    // RABBITMQ_URL from the validated env, `source` = the service name.
    MessagingModule.forRoot(),
    OutboxModule.forRoot(),
  ],
  providers: [{ provide: EventOutbox, useClass: MessagingEventOutbox }],
  exports: [EventOutbox],
})
export class EventsModule {}
