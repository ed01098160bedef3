import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Put on a creating POST: honours `Idempotency-Key` (see IdempotencyInterceptor). The store is
 * provided app-wide by the gateway core module, so any feature module can use it.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Makes the request safe to retry: the same key and body within 24 h return the first answer and create nothing new; the same key with another body is a 422.',
    }),
  );
