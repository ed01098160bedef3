import { Module } from '@nestjs/common';
import { AsyncApiController } from './asyncapi.controller';

/** GET /docs/asyncapi.json: the event catalog as an AsyncAPI 3.0 document. */
@Module({ controllers: [AsyncApiController] })
export class AsyncApiModule {}
