import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Security audit log. `seq` orders the list (newest first) and backs its cursor. */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'bigint', insert: false, update: false }) seq!: string;
  @Column('text') type!: string;
  @Column('uuid', { name: 'actor_id', nullable: true }) actorId!: string | null;
  @Column('uuid', { name: 'subject_id', nullable: true }) subjectId!: string | null;
  @Column('text', { nullable: true }) ip!: string | null;
  @Column('jsonb') details!: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
