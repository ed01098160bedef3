import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

/** One event waiting to be (or already) published; written in the producer's own transaction. */
@Entity('outbox_events')
@Index('IDX_outbox_events_unpublished', ['seq'], { where: '"published_at" IS NULL' })
@Index('IDX_outbox_events_published_at', ['publishedAt'], { where: '"published_at" IS NOT NULL' })
export class OutboxEvent {
  /** = the CloudEvents id. */
  @PrimaryColumn('uuid')
  id: string;

  /** Relay order: created_at is the transaction's start time, equal for every row of one transaction. */
  @Column({ type: 'bigint', insert: false, update: false })
  @Generated('increment')
  seq: string;

  @Column('varchar', { length: 255 })
  type: string;

  @Column('varchar', { length: 255, nullable: true })
  subject: string | null;

  /** The full CloudEvent, published as is. */
  @Column('jsonb')
  payload: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('int', { default: 0 })
  attempts: number;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;
}
