import { Global, Module } from '@nestjs/common';
import { MessagingModule, OutboxModule } from '@aether/messaging';

const messaging = MessagingModule.forRoot();
const outbox = OutboxModule.forRoot();

/** RabbitMQ (RABBITMQ_URL, source = the service name) and the transactional outbox with its relay, for every feature. */
@Global()
@Module({ imports: [messaging, outbox], exports: [messaging, outbox] })
export class EventsModule {}
