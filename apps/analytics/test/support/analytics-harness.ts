import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as amqp from 'amqplib';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { protoFile, protoRoot, PROTO_LOADER_OPTIONS } from '@aether/contracts';
import { createTempMongoDatabase, createTempVhost, freePort, type TempResource } from '@aether/testing';
import type { INestApplication } from '@nestjs/common';

/** Serves a JWKS and signs access tokens like the security service (ES256, iss/aud defaults). */
export class TestTokens {
  private server?: Server;
  private privateKey?: KeyLike;
  private jwk?: JWK;

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    this.privateKey = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'ES256', use: 'sig' };
    this.server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [this.jwk] })));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  sign(userId: string, perms: string[], roles = ['developer']): Promise<string> {
    return new SignJWT({ email: `${userId}@example.com`, roles, perms, sid: 's1' })
      .setProtectedHeader({ alg: 'ES256', kid: 'test' })
      .setSubject(userId)
      .setIssuer('aether-security')
      .setAudience('aether')
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(this.privateKey!);
  }

  developer(userId: string) {
    return this.sign(userId, ['analytics:read']);
  }

  admin(userId: string) {
    return this.sign(userId, ['analytics:read', 'analytics:read:all'], ['admin']);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

type Unary = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: any) => void) => void;

/**
 * The analytics service running in this process (the real AppModule through bootstrapService)
 * against a throw-away FerretDB database and RabbitMQ vhost, plus a gRPC client and a publisher.
 */
export class AnalyticsHarness {
  mongo!: TempResource;
  vhost!: TempResource;
  tokens!: TestTokens;
  app!: INestApplication;
  private client!: grpc.Client & Record<string, Unary>;
  private amqpConn?: amqp.ChannelModel;
  private channel?: amqp.ConfirmChannel;

  async start(env: Record<string, string> = {}): Promise<this> {
    [this.mongo, this.vhost, this.tokens] = await Promise.all([
      createTempMongoDatabase('analytics'),
      createTempVhost('analytics'),
      new TestTokens().start(),
    ]);
    const grpcPort = await freePort();
    Object.assign(process.env, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      MONGODB_URL: this.mongo.url,
      RABBITMQ_URL: this.vhost.url,
      AUTH_JWKS_URL: this.tokens.jwksUrl,
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(await freePort()),
      BIND_HOST: '127.0.0.1',
      SHUTDOWN_GRACE_MS: '10000',
      ...env,
    });
    // Imported only now: ServiceKitModule.forRoot reads process.env when app.module is loaded.
    const { bootstrapService } = await import('@aether/service-kit');
    const { AppModule } = await import('../../src/app.module');
    this.app = (await bootstrapService({ name: 'analytics', module: AppModule, grpc: 'analytics' })).app;

    const def = protoLoader.loadSync(protoFile('analytics'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = grpc.loadPackageDefinition(def) as any;
    this.client = new pkg.aether.analytics.v1.AnalyticsService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    return this;
  }

  get<T>(token: { new (...a: any[]): T } | string | symbol): T {
    return this.app.get(token as any, { strict: false });
  }

  call<T = any>(method: 'getSummary' | 'getTimeseries' | 'listEvents', req: object, token: string): Promise<T> {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
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
    await this.app?.close();
    await Promise.all([this.mongo?.drop(), this.vhost?.drop(), this.tokens?.stop()]);
  }
}
