import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { OutboundAllowList } from './address-policy';

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** POST unless said (a GET sends no body). */
  method?: 'GET' | 'POST';
  /** Overrides the client's cap for this request. */
  maxResponseBytes?: number;
}

export interface OutboundResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** At most the configured cap, as UTF-8 text. */
  body: string;
  /** The same bytes, undecoded. */
  bytes?: Buffer;
  /** True when the answer was longer than the cap (body holds its beginning only). */
  truncated?: boolean;
}

/** The target resolves to an address nobody allowed: refused before any byte is sent (never retried). */
export class OutboundBlockedError extends Error {
  readonly permanent = true;
}

export class OutboundTimeoutError extends Error {}

export interface OutboundOptions {
  allowList: OutboundAllowList;
  timeoutMs: number;
  maxResponseBytes: number;
}

/**
 * POSTs (or GETs) with the address checked on what the name resolves to, in the socket's own lookup — the
 * address connected to is the address checked, so a name that resolves differently the second
 * time (DNS rebinding) gains nothing. No redirects are followed; one timeout covers connect,
 * headers and body; the answer is read up to a cap.
 */
export class OutboundHttp {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly options: OutboundOptions) {}

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  post(req: OutboundRequest): Promise<OutboundResponse> {
    return this.send(req);
  }

  /** A GET: same address policy, timeout and cap as post(). */
  get(req: Omit<OutboundRequest, 'body' | 'method'>): Promise<OutboundResponse> {
    return this.send({ ...req, body: '', method: 'GET' });
  }

  private send(req: OutboundRequest): Promise<OutboundResponse> {
    const maxResponseBytes = req.maxResponseBytes ?? this.options.maxResponseBytes;
    const method = req.method ?? 'POST';
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.reject(new OutboundBlockedError('The target URL is not valid'));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new OutboundBlockedError('Only http and https targets are allowed'));
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    // An IP literal never goes through lookup: check it here.
    if (isIP(hostname) && !this.options.allowList.allows(hostname, hostname)) {
      return Promise.reject(new OutboundBlockedError(`${blockedText} (${hostname})`));
    }
    const allowList = this.options.allowList;
    const lookup = (host: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      dnsLookup(host, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err);
        const refused = addresses.find((a) => !allowList.allows(host, a.address));
        if (refused || addresses.length === 0) return callback(new OutboundBlockedError(`${blockedText} (${host} → ${refused?.address ?? 'nothing'})`));
        if (opts.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      });
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<OutboundResponse>((resolve, reject) => {
      const body = Buffer.from(req.body, 'utf8');
      const request = client.request(url, {
        method,
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        headers: method === 'GET' ? req.headers : { ...req.headers, 'content-length': String(body.length) },
        lookup: lookup as never,
      });
      const timer = setTimeout(() => request.destroy(new OutboundTimeoutError(`No complete answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      request.once('error', fail);
      request.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers, body: bytes.toString('utf8'), bytes, truncated: size > maxResponseBytes });
        };
        res.on('data', (chunk: Buffer) => {
          if (done) return;
          const room = maxResponseBytes - size;
          chunks.push(chunk.subarray(0, Math.max(0, room)));
          size += chunk.length;
          if (size > maxResponseBytes) {
            // Enough read: the rest is dropped with the socket.
            finish();
            res.destroy();
          }
        });
        res.once('end', finish);
        res.once('error', (err) => (done ? undefined : fail(err)));
        res.once('aborted', () => (done ? undefined : fail(new Error('The target closed the connection mid-answer'))));
      });
      request.end(method === 'GET' ? undefined : body);
    });
  }
}

const blockedText = 'The target resolves to a private, loopback or link-local address that OUTBOUND_ALLOWED_HOSTS does not list';
