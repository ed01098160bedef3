import { createServer, type Server } from 'node:http';
import * as amqp from 'amqplib';
import {
  createTempDatabase,
  createTempVhost,
  freePort,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
  type TempResource,
} from '@aether/testing';

/**
 * One trace across processes: a REST call to the gateway, its gRPC call to security, and the
 * event security publishes (through its outbox) carry the same trace id. Spans are exported by
 * the real OpenTelemetry SDK (tracing preload) as OTLP/JSON to a stand-in collector.
 */
jest.setTimeout(90_000);

interface ExportedSpan {
  service: string;
  traceId: string;
  name: string;
  kind: number;
}

/** Records OTLP/HTTP JSON trace exports. */
class OtlpCollector {
  readonly spans: ExportedSpan[] = [];
  private server?: Server;
  port = 0;

  async start(): Promise<this> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const payload = JSON.parse(body) as {
            resourceSpans: {
              resource: { attributes: { key: string; value: { stringValue?: string } }[] };
              scopeSpans: { spans: { traceId: string; name: string; kind: number }[] }[];
            }[];
          };
          for (const rs of payload.resourceSpans) {
            const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
            for (const ss of rs.scopeSpans) for (const s of ss.spans) this.spans.push({ service, traceId: s.traceId, name: s.name, kind: s.kind });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    return this;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('distributed tracing: gateway → gRPC → security → outbox event', () => {
  let database: TempResource;
  let vhost: TempResource;
  let collector: OtlpCollector;
  let security: ServiceProcess | undefined;
  let gateway: ServiceProcess | undefined;
  let base: string;
  let amqpConn: amqp.ChannelModel | undefined;

  beforeAll(async () => {
    [database, vhost, collector] = await Promise.all([createTempDatabase('trace_e2e'), createTempVhost('trace_e2e'), new OtlpCollector().start()]);
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    };
    const [grpcPort, securityHttp, gatewayHttp] = [await freePort(), await freePort(), await freePort()];
    security = await startServiceProcess({
      app: 'security',
      env: {
        ...otel,
        OTEL_SERVICE_NAME: 'security',
        GRPC_PORT: String(grpcPort),
        HTTP_PORT: String(securityHttp),
        BIND_HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
      },
      readyUrl: `http://127.0.0.1:${securityHttp}/readyz`,
      timeoutMs: 40_000,
    });
    gateway = await startServiceProcess({
      app: 'api-gateway',
      env: {
        ...otel,
        OTEL_SERVICE_NAME: 'api-gateway',
        HTTP_PORT: String(gatewayHttp),
        BIND_HOST: '127.0.0.1',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: `${uniqueName('trace_e2e')}:`,
        SECURITY_GRPC_URL: `127.0.0.1:${grpcPort}`,
        AUTH_JWKS_URL: `http://127.0.0.1:${securityHttp}/.well-known/jwks.json`,
      },
      readyUrl: `http://127.0.0.1:${gatewayHttp}/readyz`,
      timeoutMs: 30_000,
    });
    base = `http://127.0.0.1:${gatewayHttp}`;
  });

  afterAll(async () => {
    await amqpConn?.close().catch(() => undefined);
    await gateway?.stop(5000);
    await security?.stop(5000);
    await collector?.stop();
    await database?.drop();
    await vhost?.drop();
  });

  it('joins the REST request, the RPC it makes and the event it causes into one trace', async () => {
    // Listen for the event before causing it.
    amqpConn = await amqp.connect(vhost.url);
    const channel = await amqpConn.createChannel();
    await channel.assertExchange('aether.events', 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, 'aether.events', 'security.user.registered');
    const events: { traceparent?: string; type: string }[] = [];
    await channel.consume(queue, (msg) => msg && events.push(JSON.parse(msg.content.toString())), { noAck: true });

    const res = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'traced@example.com', password: 'a long enough password', name: 'Traced' }),
    });
    expect(res.status).toBe(201);

    // The gateway's span of the REST handler, and security's server span for the Register RPC.
    const gatewayServer = await waitFor(
      () => collector.spans.find((s) => s.service === 'api-gateway' && s.name === 'AuthController.register'),
      { what: 'the gateway span of POST /api/v1/auth/register', timeoutMs: 10_000 },
    );
    const gatewayClient = collector.spans.find(
      (s) => s.service === 'api-gateway' && s.kind === 3 && s.name.includes('SecurityService/Register'),
    );
    expect(gatewayClient?.traceId).toBe(gatewayServer.traceId);
    const securityServer = await waitFor(
      () => collector.spans.find((s) => s.service === 'security' && s.kind === 2 && s.name.includes('SecurityService/Register')),
      { what: "security's span of the Register RPC", timeoutMs: 10_000 },
    );
    expect(securityServer.traceId).toBe(gatewayServer.traceId);

    const event = await waitFor(() => events.find((e) => e.type === 'security.user.registered'), {
      what: 'the security.user.registered event',
      timeoutMs: 10_000,
    });
    expect(event.traceparent?.split('-')[1]).toBe(gatewayServer.traceId);

    // Background work (the outbox relay polls PostgreSQL every 250 ms) makes no traces made of
    // nothing but database spans.
    const byTrace = new Map<string, ExportedSpan[]>();
    for (const s of collector.spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    const dbOnlyTraces = [...byTrace.values()].filter((spans) => spans.every((s) => s.name.startsWith('pg')));
    expect(dbOnlyTraces).toEqual([]);
  });
});
