import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AssistCompletedEvent, ReviewCompletedEvent, type codeAssistantV1Events } from '@aether/contracts';
import { OutboxService } from '@aether/messaging';

/** code-assistant's events, through the outbox (relayed to RabbitMQ after the commit). No source code travels in them. */
@Injectable()
export class CodeEvents {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  async reviewCompleted(subject: string, data: codeAssistantV1Events.ReviewCompleted): Promise<void> {
    await this.db.transaction((m) => this.outbox.publish(m, ReviewCompletedEvent, data, { subject }));
  }

  async assistCompleted(subject: string, data: codeAssistantV1Events.AssistCompleted): Promise<void> {
    await this.db.transaction((m) => this.outbox.publish(m, AssistCompletedEvent, data, { subject }));
  }
}
