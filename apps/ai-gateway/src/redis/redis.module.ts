import { Global, Module } from '@nestjs/common';
import { REDIS_CLIENT } from '@aether/service-kit';
import { RedisConnection } from './redis.connection';

/** The one Redis connection; global so the kit's RedisReadiness (/readyz) finds REDIS_CLIENT. */
@Global()
@Module({
  providers: [RedisConnection, { provide: REDIS_CLIENT, inject: [RedisConnection], useFactory: (c: RedisConnection) => c.client }],
  exports: [RedisConnection, REDIS_CLIENT],
})
export class RedisModule {}
