import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable, catchError, concatMap, from, of, switchMap } from 'rxjs';
import { ValidationError } from '@aether/service-kit';
import type { GatewayRequest } from '../http/call-metadata';
import { clientIpKey, identityKey } from '../rate-limit/rate-limit.guard';
import { IdempotencyStore } from './idempotency.store';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
const SANE_KEY = /^[\x21-\x7e]{1,255}$/;
/** Response headers that are part of a created resource's answer and are replayed with it. */
const REPLAYED_HEADERS = ['location', 'etag'];

function answerHeaders(reply: FastifyReply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const v = reply.getHeader(name);
    if (v !== undefined) out[name] = String(v);
  }
  return out;
}

/**
 * Makes a creating POST safe to retry. With an `Idempotency-Key` header the first successful
 * answer (status + body) is stored, encrypted, per caller (user id, or client IP when anonymous),
 * route and key; a retry with the same body gets
 * it back (`Idempotent-Replayed: true`) and the handler does not run again. Errors are not
 * stored: the key is released so the client can retry. Without the header nothing changes.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly store: IdempotencyStore) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<GatewayRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const header = req.headers[IDEMPOTENCY_KEY_HEADER];
    if (header === undefined) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (!SANE_KEY.test(key) || (Array.isArray(header) && header.length > 1)) {
      throw new ValidationError('Invalid Idempotency-Key', [
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters, sent once' },
      ]);
    }
    // Anonymous callers (register) are told apart by client IP, so two clients that happen to
    // pick the same key string never see each other's answers or 422s.
    const scope = req.principal ? identityKey(req.principal) : `anon:${clientIpKey(req)}`;
    const route = `${req.method}:${req.routeOptions?.url ?? req.url}`;

    return from(this.store.begin(scope, route, key, req.body)).pipe(
      switchMap((outcome) => {
        if (outcome.kind === 'replay') {
          reply.status(outcome.status).headers(outcome.headers).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
          return of(outcome.body ?? undefined);
        }
        return next.handle().pipe(
          concatMap(async (body) => {
            try {
              await this.store.complete(outcome.claim, reply.statusCode, body, answerHeaders(reply));
            } catch (err) {
              // The work is done; failing the answer now would invite a duplicate retry.
              this.logger.warn(`could not store idempotent answer: ${(err as Error).message}`);
            }
            return body;
          }),
          catchError(async (err) => {
            await this.store.release(outcome.claim).catch(() => undefined);
            throw err;
          }),
        );
      }),
    );
  }
}
