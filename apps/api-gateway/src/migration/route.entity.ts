import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { Route, ShadowMode, Side } from './route';

/** One prefix of the strangler-fig route table. */
@Entity({ name: 'gateway_routes' })
export class RouteEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 200, unique: true }) prefix!: string;
  @Column({ type: 'varchar', length: 8 }) target!: Side;
  @Column({ name: 'rollout_percent', type: 'integer' }) rolloutPercent!: number;
  @Column({ type: 'varchar', length: 8 }) shadow!: ShadowMode;
  @Column({ name: 'ignore_paths', type: 'jsonb' }) ignorePaths!: string[];
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'updated_by', type: 'varchar', length: 64, nullable: true }) updatedBy!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}

/** Every change of the table: who, when, the route before and after (the audit trail). */
@Entity({ name: 'gateway_route_audit' })
export class RouteAuditEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'route_id', type: 'uuid' }) routeId!: string;
  @Column({ type: 'varchar', length: 200 }) prefix!: string;
  /** created, updated, deleted or seeded. */
  @Column({ type: 'varchar', length: 16 }) change!: string;
  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true }) actorId!: string | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) at!: Date;
  @Column({ type: 'jsonb', nullable: true }) before!: Route | null;
  @Column({ type: 'jsonb', nullable: true }) after!: Route | null;
  @Column({ name: 'table_version', type: 'integer' }) tableVersion!: number;
}

/** One row: the table's version, bumped by every change (what replicas compare). */
@Entity({ name: 'gateway_route_table' })
export class RouteTableVersionEntity {
  @PrimaryColumn({ type: 'integer' }) id!: number;
  @Column({ type: 'integer' }) version!: number;
}

export function toRoute(e: RouteEntity): Route {
  return {
    id: e.id,
    prefix: e.prefix,
    target: e.target,
    rolloutPercent: e.rolloutPercent,
    shadow: e.shadow,
    ignorePaths: [...(e.ignorePaths ?? [])],
    version: e.version,
    updatedAt: e.updatedAt.toISOString(),
    updatedBy: e.updatedBy,
  };
}
