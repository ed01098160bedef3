import { credentials, loadPackageDefinition, type Client, type ClientReadableStream, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { Role } from '@aether/auth';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { createTempDatabase, createTempVhost, startChromaServer, startTestService, TestIdentities, type ChromaServer, type TempResource, type TestService, type TestUser } from '@aether/testing';
import { ragService } from '../../src/service';
import { FakeAiGateway } from './fake-ai-gateway';

/** The stores of one rag test file: temp database and vhost, its own Chroma, the JWKS stand-in, a fake ai-gateway. */
export class RagStores {
  db!: TempResource;
  vhost!: TempResource;
  identities!: TestIdentities;
  chroma!: ChromaServer;
  readonly ai = new FakeAiGateway();

  async start(): Promise<this> {
    [this.db, this.vhost, this.identities, this.chroma] = await Promise.all([
      createTempDatabase('rag'),
      createTempVhost('rag'),
      new TestIdentities().start(),
      startChromaServer(),
      this.ai.start(),
    ]);
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.db?.drop(), this.vhost?.drop(), this.identities?.stop(), this.chroma?.stop(), this.ai.stop()]);
  }

  user(role: Role = 'developer'): Promise<TestUser> {
    return this.identities.user(role);
  }
}

/** rag's production definition on the test's stores, serving gRPC on a free port. */
export function startRag(stores: RagStores, env: Record<string, string> = {}): Promise<TestService> {
  return startTestService(ragService, {
    grpc: true,
    http: true,
    env: {
      DATABASE_URL: stores.db.url,
      RABBITMQ_URL: stores.vhost.url,
      AUTH_JWKS_URL: stores.identities.jwksUrl,
      CHROMA_URL: stores.chroma.url,
      AI_GATEWAY_GRPC_URL: stores.ai.url,
      ...(process.env.RAG_TEST_LOG ? { LOG_LEVEL: process.env.RAG_TEST_LOG } : {}),
      ...env,
    },
  });
}

type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => void;

/** A plain grpc-js client of RagService (what the gateway's kit client does, minus Nest). */
export function ragClient(port: number) {
  const def = loadSync(protoFile('rag'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const pkg = loadPackageDefinition(def) as unknown as {
    aether: { rag: { v1: { RagService: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => Client } } };
  };
  const client = new pkg.aether.rag.v1.RagService(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const call = <T = Record<string, any>>(method: string, req: unknown, md: Metadata): Promise<T> =>
    new Promise((resolve, reject) =>
      ((client as unknown as Record<string, Unary>)[method]).call(client, req, md, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  /** Every message of a server stream, in order. */
  const stream = <T = Record<string, any>>(method: string, req: unknown, md: Metadata): Promise<T[]> =>
    new Promise((resolve, reject) => {
      const s = (client as unknown as Record<string, (req: unknown, md: Metadata) => ClientReadableStream<T>>)[method].call(client, req, md);
      const out: T[] = [];
      s.on('data', (m: T) => out.push(m));
      s.on('error', reject);
      s.on('end', () => resolve(out));
    });
  return { call, stream, close: () => client.close() };
}
