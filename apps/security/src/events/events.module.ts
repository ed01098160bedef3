import { OutboxModule } from '@aether/messaging';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { OutboxSecurityEventPublisher } from './outbox-security-event.publisher';
import { SecurityEventPublisher } from './security-event.publisher';

/**
 * Domain events through the transactional outbox (the relay publishes committed rows to
 * `aether.events`). Needs MessagingModule and the TypeORM data source. `relay: false` keeps rows
 * in the table (tests that only look at what was written).
 */
@Global()
@Module({})
export class EventsModule {
  static forRoot(options: { relay?: boolean } = {}): DynamicModule {
    return {
      module: EventsModule,
      imports: [OutboxModule.forRoot({ relay: options.relay ?? true })],
      providers: [{ provide: SecurityEventPublisher, useClass: OutboxSecurityEventPublisher }],
      exports: [SecurityEventPublisher],
    };
  }
}
