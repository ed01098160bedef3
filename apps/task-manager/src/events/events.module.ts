import { Global, Module } from '@nestjs/common';
import { MessagingModule, OutboxModule } from '@aether/messaging';
import { TaskManagerEnv } from '../config/task-manager.env';
import { MessagingEventOutbox } from './outbox-event-outbox';
import { EventOutbox } from './task-manager-events';

/** RabbitMQ connection + outbox relay; EventOutbox for the feature modules. */
@Global()
@Module({
  imports: [
    MessagingModule.forRootAsync({
      inject: [TaskManagerEnv],
      useFactory: (env: TaskManagerEnv) => ({ url: env.RABBITMQ_URL, source: 'task-manager' }),
    }),
    OutboxModule.forRoot(),
  ],
  providers: [{ provide: EventOutbox, useClass: MessagingEventOutbox }],
  exports: [EventOutbox],
})
export class EventsModule {}
