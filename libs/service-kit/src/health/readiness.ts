import { Inject, Injectable, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

/** A dependency /readyz checks. `check` throws (or rejects) when the dependency is not usable. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}

export type ReadinessProbeClass = new (...args: never[]) => ReadinessProbe;

/** Token of the ioredis client RedisReadiness pings. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** PostgreSQL through TypeORM's DataSource (resolved lazily so apps without TypeORM never load it). */
@Injectable()
export class TypeOrmReadiness implements ReadinessProbe {
  readonly name = 'postgres';
  constructor(private readonly moduleRef: ModuleRef) {}
  async check(): Promise<void> {
    const { DataSource } = require('typeorm') as typeof import('typeorm');
    const ds = this.moduleRef.get(DataSource, { strict: false });
    await withTimeout(ds.query('SELECT 1'), 1000, 'postgres');
  }
}

@Injectable()
export class RedisReadiness implements ReadinessProbe {
  readonly name = 'redis';
  constructor(@Optional() @Inject(REDIS_CLIENT) private readonly redis?: { ping(): Promise<string> }) {}
  async check(): Promise<void> {
    if (!this.redis) throw new Error('no REDIS_CLIENT provider');
    await withTimeout(this.redis.ping(), 1000, 'redis');
  }
}

/** MongoDB through the default mongoose connection of @nestjs/mongoose. */
@Injectable()
export class MongooseReadiness implements ReadinessProbe {
  readonly name = 'mongodb';
  constructor(private readonly moduleRef: ModuleRef) {}
  async check(): Promise<void> {
    const { getConnectionToken } = require('@nestjs/mongoose') as typeof import('@nestjs/mongoose');
    const conn = this.moduleRef.get<{ readyState: number; db?: { admin(): { ping(): Promise<unknown> } } }>(
      getConnectionToken(),
      { strict: false },
    );
    if (conn.readyState !== 1 || !conn.db) throw new Error('mongodb is not connected');
    await withTimeout(conn.db.admin().ping(), 1000, 'mongodb');
  }
}
