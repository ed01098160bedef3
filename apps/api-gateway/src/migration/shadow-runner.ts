import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Agent, request as undiciRequest } from 'undici';
import type { Principal } from '@aether/auth';
import { GatewayEnv } from '../config/gateway.env';
import type { GatewayRequest } from '../http/call-metadata';
import { HOP_BY_HOP_HEADERS, legacyRequestHeaders } from './legacy-headers';
import type { Route, Side } from './route';
import { RouteStats } from './route-stats';
import { compareAnswers, learnNoise, mediaType, redactUrl, sampleBody, type CapturedAnswer } from './shadow-compare';

/** Marks the gateway's own shadow copy of a request sent to `new` (value: this process's secret). */
export const SHADOW_HEADER = 'x-aether-shadow';
/** Noise is learned on every one of a route's first comparisons, then on one in NOISE_SAMPLE_EVERY. */
const NOISE_WARMUP = 20;
const NOISE_SAMPLE_EVERY = 10;
const MAX_NOISE_PATHS = 200;

/** The request as the shadow replays it (captured before the answer was sent). */
export interface ShadowRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  ip: string;
  requestId: string;
  principal?: Principal;
  request: GatewayRequest;
}

/**
 * Shadow traffic in the manner of GitHub's Scientist and Twitter's Diffy: after the client has
 * its answer, a safe request is sent again to the other side (the candidate) and, for a sample,
 * to the serving side once more (the secondary); what differs between the two answers of the
 * serving side is noise (timestamps, ids) and is ignored from then on for that route. Every call
 * has a timeout and at most SHADOW_MAX_CONCURRENCY comparisons run at once per replica (more are
 * skipped and counted), so a slow or failing shadow side never changes a client's answer or latency.
 */
@Injectable()
export class ShadowRunner implements OnApplicationShutdown {
  private readonly logger = new Logger('Shadow');
  private readonly secret = randomBytes(24).toString('hex');
  private readonly agent: Agent;
  private fastify?: FastifyInstance;
  private inFlight = 0;
  private readonly noise = new Map<string, Set<string>>();
  private readonly compared = new Map<string, number>();
  private readonly legacyOrigin?: string;
  private readonly legacyBasePath: string = '';

  constructor(
    private readonly env: GatewayEnv,
    private readonly stats: RouteStats,
  ) {
    this.agent = new Agent({ connections: env.SHADOW_MAX_CONCURRENCY, connect: { timeout: env.SHADOW_TIMEOUT_MS } });
    if (env.LEGACY_API_URL) {
      const u = new URL(env.LEGACY_API_URL);
      this.legacyOrigin = u.origin;
      this.legacyBasePath = u.pathname.replace(/\/+$/, '');
    }
  }

  attach(fastify: FastifyInstance): void {
    this.fastify = fastify;
  }

  /** True when `value` is this process's shadow marker (a client cannot forge it). */
  isShadowCopy(value: string | string[] | undefined): boolean {
    if (typeof value !== 'string' || value.length !== this.secret.length) return false;
    return timingSafeEqual(Buffer.from(value), Buffer.from(this.secret));
  }

  get active(): number {
    return this.inFlight;
  }

  /** Noise learned so far for a route (dotted paths, `*` for indices). */
  noiseOf(routeId: string): string[] {
    return [...(this.noise.get(routeId) ?? [])];
  }

  forget(routeIds: Set<string>): void {
    for (const id of [...this.noise.keys()]) if (!routeIds.has(id)) this.noise.delete(id);
    for (const id of [...this.compared.keys()]) if (!routeIds.has(id)) this.compared.delete(id);
  }

  /** Fire and forget: never throws, never awaited by the request. */
  run(route: Route, serving: Side, shadow: Side, req: ShadowRequest, primary: CapturedAnswer): void {
    if (this.inFlight >= this.env.SHADOW_MAX_CONCURRENCY) {
      this.stats.recordShadow(route.id, route.prefix, 'skipped');
      return;
    }
    this.inFlight++;
    void this.compare(route, serving, shadow, req, primary)
      .catch((e: Error) => this.logger.warn(`shadow comparison failed: ${e.message}`))
      .finally(() => this.inFlight--);
  }

  private async compare(route: Route, serving: Side, shadow: Side, req: ShadowRequest, primary: CapturedAnswer): Promise<void> {
    const n = (this.compared.get(route.id) ?? 0) + 1;
    this.compared.set(route.id, n);
    const learn = n <= NOISE_WARMUP || n % NOISE_SAMPLE_EVERY === 0;
    const [candidate, secondary] = await Promise.all([this.call(shadow, req), learn ? this.call(serving, req) : Promise.resolve(undefined)]);
    if (secondary) {
      const noise = (this.noise.get(route.id) ?? new Set<string>());
      for (const p of learnNoise(primary, secondary)) if (noise.size < MAX_NOISE_PATHS) noise.add(p);
      this.noise.set(route.id, noise);
    }
    if (!candidate) {
      this.stats.recordShadow(route.id, route.prefix, 'failed');
      return;
    }
    const ignored = [...route.ignorePaths, ...(this.noise.get(route.id) ?? [])];
    const result = compareAnswers(primary, candidate, ignored);
    this.stats.recordShadow(route.id, route.prefix, result.equal ? 'match' : 'mismatch');
    if (result.equal) return;
    const answer = (side: Side, a: CapturedAnswer) => ({ side, status: a.status, contentType: a.contentType, body: sampleBody(a) });
    await this.stats.recordMismatch(route.id, {
      at: new Date().toISOString(),
      requestId: req.requestId,
      method: req.method,
      url: redactUrl(req.url),
      routeVersion: route.version,
      differences: result.differences,
      served: answer(serving, primary),
      shadow: answer(shadow, candidate),
    });
  }

  /** One call to a side, bounded by SHADOW_TIMEOUT_MS; undefined when it failed or took too long. */
  private async call(side: Side, req: ShadowRequest): Promise<CapturedAnswer | undefined> {
    const timeoutMs = this.env.SHADOW_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([side === 'new' ? this.callNew(req) : this.callLegacy(req, timeoutMs), timeout]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The services' side, in process: the same request through the gateway's own pipeline. */
  private async callNew(req: ShadowRequest): Promise<CapturedAnswer | undefined> {
    if (!this.fastify) return undefined;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP_HEADERS.includes(k) && k !== 'content-length') headers[k] = v;
    headers[SHADOW_HEADER] = this.secret;
    headers['x-request-id'] = `${req.requestId}.shadow`.slice(0, 128);
    const res = await this.fastify.inject({ method: req.method as 'GET', url: req.url, headers, remoteAddress: req.ip });
    const body = res.rawPayload;
    return { status: res.statusCode, contentType: mediaType(res.headers['content-type']), body: body.length <= this.env.SHADOW_MAX_BODY_BYTES ? body : undefined };
  }

  /** The monolith's side, with the same rewritten headers (identity, forwarding) as a proxied request. */
  private async callLegacy(req: ShadowRequest, timeoutMs: number): Promise<CapturedAnswer | undefined> {
    if (!this.legacyOrigin) return undefined;
    const headers = legacyRequestHeaders(req.request, req.headers, req.principal, this.env.LEGACY_IDENTITY_SECRET);
    delete headers['content-length'];
    headers.host = new URL(this.legacyOrigin).host;
    const res = await undiciRequest(`${this.legacyOrigin}${this.legacyBasePath}${req.url}`, {
      method: req.method as 'GET',
      headers: headers as Record<string, string>,
      dispatcher: this.agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > this.env.SHADOW_MAX_BODY_BYTES) {
        tooLarge = true;
        res.body.destroy();
        break;
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, contentType: mediaType(res.headers['content-type']), body: tooLarge ? undefined : Buffer.concat(chunks) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
