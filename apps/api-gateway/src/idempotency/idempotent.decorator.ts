import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IN_PROGRESS_RETRY_AFTER_SECONDS } from './idempotency.store';

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
        'Makes the request safe to retry: the same key and body within 24 h return the first answer (with ' +
        '`Idempotent-Replayed: true`) and create nothing new; the same key with another body is a 422 ' +
        'IDEMPOTENCY_KEY_REUSED. While the first request with the key is still being processed, a duplicate gets ' +
        `409 IDEMPOTENCY_REQUEST_IN_PROGRESS with \`Retry-After: ${IN_PROGRESS_RETRY_AFTER_SECONDS}\` (seconds); ` +
        'retrying then returns the first answer. A failed first attempt is not stored: the key can be used again.',
    }),
  );
