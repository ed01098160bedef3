import { Agent, request } from 'undici';
import type { CallOptions } from './provider';
import { connectionFailure, failureForStatus, ProviderError, retryAfterMsFrom } from './provider-error';

/** Largest error body read from a provider (its message is all we need). */
const MAX_ERROR_BODY = 64 * 1024;

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer>;
}

/** Reads what a provider says about an error: its message and code, from either wire format. */
export type ErrorBodyReader = (status: number, text: string) => { message: string; code?: string; param?: string };

/**
 * One HTTP client per provider: a keep-alive pool whose connect timeout is the gateway's
 * (a refused or silent host fails fast and the next target is tried).
 */
export class ProviderHttp {
  private readonly agent: Agent;

  constructor(connectTimeoutMs: number) {
    this.agent = new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * POSTs JSON; resolves once a 2xx status and headers arrived, with the body still streaming.
   * Errors become ProviderErrors; an abort rethrows the signal's reason (a timer's ProviderError,
   * or the caller's cancellation).
   */
  async postJson(url: string, headers: Record<string, string>, body: unknown, opts: CallOptions, readError: ErrorBodyReader): Promise<HttpAnswer> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify(body),
        dispatcher: this.agent,
        signal: opts.signal,
        // The gateway's own timers (first token, idle, total) govern; undici's would cut long streams.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (err) {
      throw transportError(err, opts.signal);
    }
    opts.onProgress?.();
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return { status: res.statusCode, headers: res.headers, body: guardedBody(res.body, opts.signal) };
    }
    const text = await readBounded(res.body, opts.signal);
    const { message, code, param } = readError(res.statusCode, text);
    throw new ProviderError(
      failureForStatus(res.statusCode, message, code),
      `HTTP ${res.statusCode}: ${message}`.slice(0, 500),
      res.statusCode,
      retryAfterMsFrom(res.headers),
      param,
    );
  }
}

/** The reason of an aborted call, or the transport error as a ProviderError. */
export function transportError(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? err;
  if (err instanceof ProviderError) return err;
  return connectionFailure(err) ?? new ProviderError('connection', `request failed: ${(err as Error).message ?? String(err)}`.slice(0, 300));
}

async function* guardedBody(body: AsyncIterable<Buffer>, signal: AbortSignal): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (err) {
    throw transportError(err, signal);
  }
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy?: () => void }, signal: AbortSignal): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      parts.push(chunk);
      size += chunk.length;
      if (size > MAX_ERROR_BODY) {
        body.destroy?.();
        break;
      }
    }
  } catch (err) {
    throw transportError(err, signal);
  }
  return Buffer.concat(parts).toString('utf8').slice(0, MAX_ERROR_BODY);
}

/** The whole (2xx) body as parsed JSON; garbage is a provider fault (server), not the client's. */
export async function readJson(answer: HttpAnswer): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const chunk of answer.body) parts.push(chunk);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ProviderError('server', 'the provider answered something that is not a JSON object', answer.status);
}

/** Server-sent events of a body: `{ event, data }` per event, comments skipped. */
export async function* readSse(body: AsyncIterable<Buffer>, onProgress?: () => void): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  for await (const chunk of body) {
    onProgress?.();
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1));
      if (line === '') {
        if (data.length > 0 || event) yield { event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
      }
    }
  }
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
