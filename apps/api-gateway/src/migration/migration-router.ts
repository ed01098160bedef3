import { GatewayTimeoutException, Inject, Injectable, Logger, PayloadTooLargeException } from '@nestjs/common';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import replyFrom from '@fastify/reply-from';
import { Agent } from 'undici';
import { ACCESS_TOKEN_VERIFIER, type AccessTokenVerifier, type Principal } from '@aether/auth';
import { UnauthenticatedError, UnavailableError, ValidationError } from '@aether/service-kit';
import { ApiKeyAuthenticator } from '../authentication/api-key.authenticator';
import { extractCredential } from '../authentication/credentials';
import { GatewayEnv } from '../config/gateway.env';
import type { GatewayRequest } from '../http/call-metadata';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../http/problem-details';
import { clientIpKey, enforceRateLimit, identityKey } from '../rate-limit/rate-limit.guard';
import { RateLimits } from '../rate-limit/rate-limits';
import { legacyRequestHeaders, legacyResponseHeaders } from './legacy-headers';
import type { Route, Side } from './route';
import { pathOf } from './route-matcher';
import { sideFor } from './rollout';
import { isReservedPath } from './route-rules';
import { RouteStats } from './route-stats';
import { RouteTable } from './route-table.service';
import { mediaType, type CapturedAnswer } from './shadow-compare';
import { SHADOW_HEADER, ShadowRunner } from './shadow-runner';

export const SERVED_BY_HEADER = 'x-aether-served-by';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** What the router decided for one request (kept on the request until its answer is sent). */
interface Routing {
  route: Route;
  side: Side;
  /** The side that also gets this request, when it is shadowed. */
  shadow?: Side;
  principal?: Principal;
  /** The serving side's answer body, captured for the comparison (undefined: too large or streamed). */
  captured?: Buffer[];
  capturedBytes: number;
  captureOverflow: boolean;
}

type RoutedRequest = GatewayRequest & { migrationRouting?: Routing; shadowCopy?: boolean };

/**
 * The strangler fig at the edge. A Fastify onRequest hook — before body parsing and before any
 * Nest route, guard or interceptor — finds the request's route by longest prefix and decides who
 * serves it:
 *
 * - `new`: the request goes on into Nest (auth, rate limits, validation, gRPC) as if no router
 *   were there;
 * - `legacy`: the gateway authenticates the caller (a bad credential is a 401; none is allowed,
 *   the monolith then sees no identity), spends the same rate-limit budget as a Nest route and
 *   streams the request to LEGACY_API_URL with @fastify/reply-from (undici), streaming the answer
 *   back. The monolith down is a 503 UPSTREAM_UNAVAILABLE, slow a 504, as problem+json: never a
 *   fall-through to `new`.
 *
 * Every response carries `X-Aether-Served-By`. Paths the gateway owns (RESERVED_PREFIXES) are
 * never routed. Counters and the shadow comparison run when the answer has been sent.
 */
@Injectable()
export class MigrationRouter {
  private readonly logger = new Logger('MigrationRouter');
  private readonly legacyOrigin?: string;
  private readonly legacyBasePath: string = '';

  constructor(
    private readonly table: RouteTable,
    private readonly stats: RouteStats,
    private readonly shadow: ShadowRunner,
    private readonly env: GatewayEnv,
    private readonly limits: RateLimits,
    private readonly apiKeys: ApiKeyAuthenticator,
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
  ) {
    if (env.LEGACY_API_URL) {
      const u = new URL(env.LEGACY_API_URL);
      this.legacyOrigin = u.origin;
      this.legacyBasePath = u.pathname.replace(/\/+$/, '');
    }
    table.onChange((s) => shadow.forget(new Set(s.routes.map((r) => r.id))));
  }

  /** Registers the proxy and the hooks; called from configureGatewayHttp, before routes are ready. */
  install(fastify: FastifyInstance): void {
    this.shadow.attach(fastify);
    if (this.legacyOrigin) {
      // Registered now, loaded before the server is ready (fastify-plugin: decorates every reply).
      void fastify.register(replyFrom, {
        base: this.legacyOrigin,
        disableRequestLogging: true,
        undici: new Agent({
          connections: 256,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: this.env.LEGACY_TIMEOUT_MS,
          bodyTimeout: this.env.LEGACY_TIMEOUT_MS,
          connect: { timeout: this.env.LEGACY_CONNECT_TIMEOUT_MS },
        }),
      });
    }
    fastify.addHook('onRequest', (request, reply) => this.onRequest(request as RoutedRequest, reply));
    fastify.addHook('onSend', async (request, _reply, payload) => {
      this.capture((request as RoutedRequest).migrationRouting, payload);
      return payload;
    });
    fastify.addHook('onResponse', async (request, reply) => this.onResponse(request as RoutedRequest, reply));
  }

  private async onRequest(request: RoutedRequest, reply: FastifyReply): Promise<void> {
    reply.header(SERVED_BY_HEADER, 'new');
    const marker = request.headers[SHADOW_HEADER];
    if (marker !== undefined) {
      delete request.headers[SHADOW_HEADER];
      // The gateway's own shadow copy for `new`: served by Nest, counted by the comparison only.
      if (this.shadow.isShadowCopy(marker)) {
        request.shadowCopy = true;
        return;
      }
    }
    if (!this.table.enabled) return;
    const path = pathOf(request.url);
    if (isReservedPath(path)) return;
    const route = this.table.match(path);
    if (!route) return;

    let principal: Principal | undefined;
    // The caller decides the side (sticky rollout) and is what the monolith is told, also on a
    // shadow copy of a request `new` serves.
    const mayGoLegacy = route.target === 'legacy' && route.rolloutPercent < 100;
    const shadowsToLegacy = route.shadow === 'legacy' && SAFE_METHODS.has(request.method);
    if (mayGoLegacy || shadowsToLegacy) {
      try {
        principal = await this.authenticate(request);
      } catch (err) {
        // Served by new whoever calls: Nest's guards judge the credential (public routes ignore
        // it); such a request is not shadowed.
        if (!mayGoLegacy) return void this.routeTo(request, route, 'new', undefined, undefined);
        let problem = err;
        if (err instanceof UnauthenticatedError) {
          // As AuthenticationGuard: failed authentications spend the client IP's anonymous budget.
          await enforceRateLimit(this.limits, reply, 'anonymous', clientIpKey(request)).catch((e: unknown) => (problem = e));
        }
        return this.answerProblem(request, reply, problem);
      }
    }
    const side = sideFor(route, principal ? identityKey(principal) : clientIpKey(request));
    const shadowSide = route.shadow !== 'off' && route.shadow !== side && SAFE_METHODS.has(request.method) ? (route.shadow as Side) : undefined;
    const routing = this.routeTo(request, route, side, shadowSide, principal);
    if (side === 'new') return;

    reply.header(SERVED_BY_HEADER, 'legacy');
    try {
      // A route read from the table may name legacy on a gateway started without it.
      if (!this.legacyOrigin) throw new UnavailableError('The legacy API is not configured on this gateway (LEGACY_API_URL)');
      // The monolith's router may resolve dot segments: /api/v1/reports/../admin must not reach
      // a path the route does not cover.
      if (hasDotSegment(path)) throw new ValidationError('The request path is not valid', [{ field: 'path', message: 'must not contain "." or ".." segments' }], 'BAD_URL');
      await enforceRateLimit(this.limits, reply, principal ? 'default' : 'anonymous', principal ? identityKey(principal) : clientIpKey(request));
      this.checkBodySize(request);
    } catch (err) {
      return this.answerProblem(request, reply, err);
    }
    await this.forward(request, reply, routing);
  }

  /** Records the decision on the request: counters and the shadow read it when the answer is out. */
  private routeTo(request: RoutedRequest, route: Route, side: Side, shadow: Side | undefined, principal: Principal | undefined): Routing {
    const routing: Routing = { route, side, shadow, principal, captured: shadow ? [] : undefined, capturedBytes: 0, captureOverflow: false };
    request.migrationRouting = routing;
    return routing;
  }

  /** Verifies the caller's credential when there is one (same rules as AuthenticationGuard). */
  private async authenticate(request: RoutedRequest): Promise<Principal | undefined> {
    const credential = extractCredential(request.headers);
    if (!credential) return undefined;
    return credential.kind === 'jwt' ? this.verifier.verify(credential.token) : this.apiKeys.authenticate(credential.key, request);
  }

  private checkBodySize(request: RoutedRequest): void {
    const length = Number(request.headers['content-length'] ?? 0);
    if (Number.isFinite(length) && length > this.env.BODY_LIMIT_BYTES) throw new PayloadTooLargeException('The request body is too large');
  }

  /**
   * Streams the request to the monolith and its answer back, and resolves once the client has
   * the whole answer (or went away): only then may Fastify's lifecycle go on, and it finds the
   * reply sent, so no Nest route ever runs for a proxied request.
   */
  private async forward(request: RoutedRequest, reply: FastifyReply, routing: Routing): Promise<void> {
    const done = answered(reply);
    // The body is streamed as it arrives (Fastify has not parsed it), bounded by BODY_LIMIT_BYTES.
    let limit: BodyLimit | undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      limit = new BodyLimit(this.env.BODY_LIMIT_BYTES);
      (request as { body?: unknown }).body = request.raw.pipe(limit);
    }
    reply.from(`${this.legacyBasePath}${pathOf(request.url)}`, {
      timeout: this.env.LEGACY_TIMEOUT_MS,
      retryDelay: () => null, // never retried: a retry could repeat a write, and a slow monolith must not get slower
      rewriteRequestHeaders: (req, headers) => legacyRequestHeaders(req as GatewayRequest, headers, routing.principal, this.env.LEGACY_IDENTITY_SECRET),
      rewriteHeaders: (headers) => legacyResponseHeaders(headers),
      onResponse: (_req, rep, res) => {
        const stream = (res as { stream: NodeJS.ReadableStream }).stream;
        if (!routing.captured) return void rep.send(stream);
        // Copy the answer for the comparison as it streams by (up to SHADOW_MAX_BODY_BYTES).
        const tap = new Transform({
          transform: (chunk: Buffer, _enc, cb: TransformCallback) => {
            this.captureChunk(routing, chunk);
            cb(null, chunk);
          },
        });
        stream.on('error', (e: Error) => tap.destroy(e));
        rep.send(stream.pipe(tap));
      },
      onError: (rep, { error }) => this.sendProblem(request, rep as unknown as FastifyReply, limit?.exceeded ? new PayloadTooLargeException('The request body is too large') : upstreamError(error)),
    });
    await done;
    // The client went away before its answer ended: stop Fastify from routing the request on.
    if (!reply.sent) reply.hijack();
  }

  private capture(routing: Routing | undefined, payload: unknown): void {
    if (!routing?.captured || routing.side !== 'new') return;
    if (typeof payload === 'string') this.captureChunk(routing, Buffer.from(payload));
    else if (Buffer.isBuffer(payload)) this.captureChunk(routing, payload);
    else if (payload !== null && payload !== undefined) routing.captureOverflow = true; // a stream: not compared
  }

  private captureChunk(routing: Routing, chunk: Buffer): void {
    if (routing.captureOverflow || !routing.captured) return;
    routing.capturedBytes += chunk.length;
    if (routing.capturedBytes > this.env.SHADOW_MAX_BODY_BYTES) {
      routing.captureOverflow = true;
      routing.captured = [];
      return;
    }
    routing.captured.push(chunk);
  }

  private onResponse(request: RoutedRequest, reply: FastifyReply): void {
    const routing = request.migrationRouting;
    if (!routing) return;
    this.stats.recordRequest(routing.route.id, routing.route.prefix, routing.side, reply.statusCode, reply.elapsedTime);
    if (!routing.shadow) return;
    const primary: CapturedAnswer = {
      status: reply.statusCode,
      contentType: mediaType(reply.getHeader('content-type') as string | undefined),
      body: routing.captureOverflow ? undefined : Buffer.concat(routing.captured ?? []),
    };
    this.shadow.run(routing.route, routing.side, routing.shadow, {
      method: request.method,
      url: request.url,
      headers: request.headers,
      ip: request.ip,
      requestId: String(request.id),
      principal: routing.principal,
      request,
    }, primary);
  }

  /**
   * Answers from the hook and waits until the answer is out: Fastify's lifecycle goes on when the
   * hook resolves, and must find the reply sent (or it would route the request into Nest too).
   */
  private async answerProblem(request: FastifyRequest, reply: FastifyReply, err: unknown): Promise<void> {
    const done = answered(reply);
    this.sendProblem(request, reply, err);
    await done;
    if (!reply.sent) reply.hijack();
  }

  private sendProblem(request: FastifyRequest, reply: FastifyReply, err: unknown): void {
    if (reply.sent) return;
    const problem = toProblem(err, String(request.id));
    if (problem.unexpected) this.logger.error({ err, requestId: request.id }, 'legacy routing failed unexpectedly');
    reply.status(problem.body.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(problem.body);
  }
}

/** True when a segment of the raw path is `.` or `..`, also percent-encoded (`%2e%2E`). */
export function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => {
    const s = segment.replace(/%2e/gi, '.');
    return s === '.' || s === '..';
  });
}

/** Resolves when the response is finished or its connection closed. */
function answered(reply: FastifyReply): Promise<void> {
  return new Promise<void>((resolve) => {
    if (reply.raw.writableEnded || reply.raw.destroyed) return resolve();
    reply.raw.once('close', () => resolve());
  });
}

/** Fails the stream (and so the upstream request) once more than `limit` bytes went through. */
class BodyLimit extends Transform {
  private seen = 0;
  exceeded = false;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.exceeded = true;
      cb(new PayloadTooLargeException('The request body is too large'));
      return;
    }
    cb(null, chunk);
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'FST_REPLY_FROM_GATEWAY_TIMEOUT']);

/** reply-from's failure → the contract's answer: slow → 504, anything else (down, reset, refused) → 503. */
function upstreamError(error: unknown): unknown {
  const e = error as { code?: string; statusCode?: number; cause?: { code?: string } };
  const causeCode = e.cause?.code;
  if (e.statusCode === 504 || TIMEOUT_CODES.has(e.code ?? '') || TIMEOUT_CODES.has(causeCode ?? '')) {
    return new GatewayTimeoutException('The legacy API did not answer in time');
  }
  return new UnavailableError('The legacy API is unavailable; retry later');
}
