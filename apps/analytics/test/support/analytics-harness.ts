import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as amqp from 'amqplib';
import { protoFile, protoRoot, PROTO_LOADER_OPTIONS } from '@aether/contracts';
import { createTempMongoDatabase, createTempVhost, startTestService, TestIdentities, type TempResource, type TestService, type TestUser } from '@aether/testing';
import type { INestApplication } from '@nestjs/common';
import type { AnalyticsEnv } from '../../src/config/analytics.env';
import { analyticsService } from '../../src/service';

type Unary = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: any) => void) => void;

/**
 * The analytics service running in this process (its production service definition)
 * against a throw-away FerretDB database and RabbitMQ vhost, plus a gRPC client and a publisher.
 */
export class AnalyticsHarness {
  mongo!: TempResource;
  vhost!: TempResource;
  /** Stands in for the security service: its JWKS is AUTH_JWKS_URL; `identities.user(role, id)` makes callers. */
  identities!: TestIdentities;
  app!: INestApplication;
  private service?: TestService<AnalyticsEnv>;
  private client!: grpc.Client & Record<string, Unary>;
  private amqpConn?: amqp.ChannelModel;
  private channel?: amqp.ConfirmChannel;

  /** `beforeStart` gets the database before the service opens it (e.g. to store what an older version left). */
  async start(env: Record<string, string> = {}, opts: { beforeStart?: (mongoUrl: string) => Promise<void> } = {}): Promise<this> {
    [this.mongo, this.vhost, this.identities] = await Promise.all([
      createTempMongoDatabase('analytics'),
      createTempVhost('analytics'),
      new TestIdentities().start(),
    ]);
    await opts.beforeStart?.(this.mongo.url);
    this.service = await startTestService(analyticsService, {
      env: {
        LOG_LEVEL: 'warn',
        MONGODB_URL: this.mongo.url,
        RABBITMQ_URL: this.vhost.url,
        AUTH_JWKS_URL: this.identities.jwksUrl,
        ...env,
      },
    });
    this.app = this.service.app;
    const grpcPort = this.service.grpcPort!;

    const def = protoLoader.loadSync(protoFile('analytics'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = grpc.loadPackageDefinition(def) as any;
    this.client = new pkg.aether.analytics.v1.AnalyticsService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    return this;
  }

  get<T>(token: { new (...a: any[]): T } | string | symbol): T {
    return this.service!.get(token);
  }

  /** Calls an RPC as `caller`; with `null`, without any credential. */
  call<T = any>(method: 'getSummary' | 'getTimeseries' | 'listEvents', req: object, caller: TestUser | null): Promise<T> {
    const md = caller ? caller.metadata() : new grpc.Metadata();
    return new Promise((resolve, reject) =>
      this.client[method](req, md, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
  }

  /** Publishes CloudEvents JSON to aether.events with publisher confirms. */
  async publish(events: Array<{ id: string; type: string; subject?: string; time?: string; data?: unknown }>): Promise<void> {
    if (!this.channel) {
      this.amqpConn = await amqp.connect(this.vhost.url);
      this.channel = await this.amqpConn.createConfirmChannel();
      await this.channel.assertExchange('aether.events', 'topic', { durable: true });
    }
    for (const e of events) {
      const body = { specversion: '1.0', source: e.type.split('.')[0], datacontenttype: 'application/json', time: new Date().toISOString(), data: {}, ...e };
      this.channel.publish('aether.events', e.type, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: 'application/cloudevents+json' });
    }
    await this.channel.waitForConfirms();
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.channel?.close().catch(() => undefined);
    await this.amqpConn?.close().catch(() => undefined);
    await this.service?.close();
    await Promise.all([this.mongo?.drop(), this.vhost?.drop(), this.identities?.stop()]);
  }
}
