import { Injectable } from '@nestjs/common';
import { AmqpConnection } from './amqp-connection';

/** Readiness probe for the service kit's /readyz: ready while the broker connection is up. */
@Injectable()
export class AmqpReadiness {
  readonly name = 'rabbitmq';

  constructor(private readonly connection: AmqpConnection) {}

  async check(): Promise<void> {
    if (!this.connection.isConnected()) throw new Error('RabbitMQ is not connected');
  }
}
