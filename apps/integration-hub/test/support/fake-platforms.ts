/**
 * Fake Slack, Discord and GitHub (and a generic webhook receiver) on one local HTTP server,
 * answering as the real APIs do — status codes, error bodies and rate-limit headers — so the
 * hub's real client code runs against them:
 *   POST /slack/api/chat.postMessage         Web API: HTTP 200 with {ok:true|false, error}
 *   POST /slack/hooks/<T>/<B>/<secret>      incoming webhook: 200 "ok", 4xx text errors
 *   POST /discord/api/webhooks/<id>/<token> execute webhook (?wait=true → the message)
 *   POST /github/repos/<o>/<r>/issues/<n>/comments  201 comment, 401 Bad credentials
 *   POST /hooks/<name>                        any receiver (Standard Webhooks tests)
 * `script(path, responses)` makes the next requests to a path answer as scripted (500s, 429 with
 * Retry-After, a hang); every request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
  /** Never answer (until the server closes). */
  hang?: boolean;
}

export const SLACK_BOT_TOKEN = 'xoxb-1111-2222-fake-bot-token';
export const SLACK_CHANNELS = new Set(['C0ENGINEERING']);
export const DISCORD_WEBHOOK = { id: '112233445566778899', token: 'fake-discord-webhook-token_abc' };
export const GITHUB_TOKEN = 'ghp_fakeFAKEfake0123456789';

export class FakePlatforms {
  readonly requests: RecordedRequest[] = [];
  private readonly scripts = new Map<string, ScriptedResponse[]>();
  private readonly modes = new Map<string, ScriptedResponse>();
  private readonly hanging = new Set<ServerResponse>();
  private server?: Server;
  private nextId = 1;
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The next requests to `path` get these answers, in order; then the normal behaviour. */
  script(path: string, responses: ScriptedResponse[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...responses]);
  }

  /** Every request to `path` gets this answer until `mode(path, undefined)`. */
  mode(path: string, response: ScriptedResponse | undefined): void {
    if (response) this.modes.set(path, response);
    else this.modes.delete(path);
  }

  to(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const recorded = { path: url.pathname, url: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
    this.requests.push(recorded);
    const scripted = this.scripts.get(url.pathname)?.shift() ?? this.modes.get(url.pathname);
    if (scripted) return this.send(res, scripted);
    return this.send(res, this.answer(recorded, url));
  }

  private send(res: ServerResponse, r: ScriptedResponse): void {
    if (r.hang) {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    const type = typeof r.body === 'object' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
    res.writeHead(r.status ?? 200, { 'content-type': type, ...r.headers });
    res.end(body);
  }

  /** The real APIs' normal answers (and their errors for bad credentials or targets). */
  private answer(req: RecordedRequest, url: URL): ScriptedResponse {
    const json = () => {
      try {
        return JSON.parse(req.body) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    };
    const path = url.pathname;
    if (path === '/slack/api/chat.postMessage') {
      // Slack's Web API answers errors with HTTP 200 and ok:false.
      if (req.headers.authorization !== `Bearer ${SLACK_BOT_TOKEN}`) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
      const body = json();
      if (!body) return { status: 200, body: { ok: false, error: 'invalid_json' } };
      if (!SLACK_CHANNELS.has(String(body.channel))) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
      const ts = `${Math.floor(Date.now() / 1000)}.${String(this.nextId++).padStart(6, '0')}`;
      return { status: 200, body: { ok: true, channel: body.channel, ts, message: { type: 'message', text: body.text, ts, bot_id: 'B0FAKE' } } };
    }
    if (path.startsWith('/slack/hooks/')) {
      if (!json()) return { status: 400, body: 'invalid_payload' };
      return { status: 200, body: 'ok' };
    }
    const discord = /^\/discord\/api\/webhooks\/([^/]+)\/([^/]+)$/.exec(path);
    if (discord) {
      if (discord[1] !== DISCORD_WEBHOOK.id) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
      if (discord[2] !== DISCORD_WEBHOOK.token) return { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } };
      const body = json();
      if (!body?.content) return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
      if (url.searchParams.get('wait') !== 'true') return { status: 204 };
      return { status: 200, body: { id: String(this.nextId++), type: 0, channel_id: '998877', content: body.content, webhook_id: DISCORD_WEBHOOK.id } };
    }
    const github = /^\/github\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (github) {
      if (req.headers.authorization !== `Bearer ${GITHUB_TOKEN}`) return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } };
      if (!req.headers['user-agent']) return { status: 403, body: { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.' } };
      const body = json();
      if (typeof body?.body !== 'string') return { status: 422, body: { message: 'Invalid request.', documentation_url: 'https://docs.github.com/rest', status: '422' } };
      const id = this.nextId++;
      return {
        status: 201,
        headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) },
        body: { id, body: body.body, html_url: `https://github.com/${github[1]}/${github[2]}/issues/${github[3]}#issuecomment-${id}`, user: { login: 'aether-bot' } },
      };
    }
    if (path.startsWith('/hooks/')) return { status: 200, body: 'received' };
    return { status: 404, body: { message: 'Not Found' } };
  }
}
