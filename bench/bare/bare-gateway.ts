/**
 * Bare reference of the gateway hop (bench/request-path.ts): Fastify + grpc-js doing only the
 * gateway's essential work for GET /api/v1/auth/me and GET /api/v1/tasks/:id — verify the ES256
 * access token with jose (verified tokens remembered, as libs/auth does), spend one rate-limit point in Redis with rate-limiter-flexible (same
 * limiter, same options, same Lua script as src/rate-limit), one gRPC call on a shared channel,
 * JSON reply with the RateLimit-* headers. No framework, no logging, no metrics.
 *
 * Env: BARE_HTTP_PORT, BARE_SERVICE_ADDRESS, JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE, REDIS_URL,
 * REDIS_KEY_PREFIX. Prints `ready` when it listens.
 */
import Fastify from 'fastify';
import Redis from 'ioredis';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';

const env = process.env as Record<string, string>;
const jwks = createRemoteJWKSet(new URL(env.JWKS_URL));
const verifyOptions = { issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, algorithms: ['ES256'] };

// Verified tokens are remembered until they expire (at most 60 s), as libs/auth does: a client
// reusing its token pays one ES256 verification, not one per request.
const verified = new Map<string, { payload: JWTPayload; until: number }>();
async function verifyToken(token: string): Promise<JWTPayload> {
  const hit = verified.get(token);
  if (hit && hit.until > Date.now()) return hit.payload;
  const { payload } = await jwtVerify(token, jwks, verifyOptions);
  if (verified.size >= 10_000) verified.delete(verified.keys().next().value as string);
  verified.set(token, { payload, until: Math.min((payload.exp ?? 0) * 1000, Date.now() + 60_000) });
  return payload;
}
const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const points = 100_000_000;
const limiter = new RateLimiterRedis({
  storeClient: redis,
  keyPrefix: `${env.REDIS_KEY_PREFIX}rl:default`,
  points,
  duration: 60,
  rejectIfRedisNotReady: true,
  insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'rl:default', points, duration: 60 }),
});

type Unary = (req: unknown, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res?: unknown) => void) => void;
function client(app: string, path: string[], method: string): Unary {
  const def = loadSync(protoFile(app as never), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  let node: unknown = loadPackageDefinition(def);
  for (const p of path) node = (node as Record<string, unknown>)[p];
  const c = new (node as new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client)(env.BARE_SERVICE_ADDRESS, credentials.createInsecure());
  return (c as unknown as Record<string, Unary>)[method].bind(c);
}
const getMe = client('security', ['aether', 'security', 'v1', 'SecurityService'], 'getMe');
const getTask = client('task-manager', ['aether', 'task_manager', 'v1', 'TaskManagerService'], 'getTask');
const call = (fn: Unary, req: unknown, md: Metadata) =>
  new Promise<unknown>((resolve, reject) => fn(req, md, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))));

const app = Fastify({ logger: false });

async function authorize(authorization: string | undefined, reply: { header(k: string, v: string): unknown }): Promise<Metadata> {
  if (!authorization?.startsWith('Bearer ')) throw Object.assign(new Error('unauthenticated'), { statusCode: 401 });
  const payload = await verifyToken(authorization.slice(7));
  const res = await limiter.consume(`user:${payload.sub}`);
  reply.header('RateLimit-Limit', String(points));
  reply.header('RateLimit-Remaining', String(res.remainingPoints));
  reply.header('RateLimit-Reset', String(Math.ceil(res.msBeforeNext / 1000)));
  const md = new Metadata();
  md.set('authorization', authorization);
  return md;
}

app.get('/api/v1/auth/me', async (req, reply) => call(getMe, {}, await authorize(req.headers.authorization, reply)));
app.get<{ Params: { id: string } }>('/api/v1/tasks/:id', async (req, reply) =>
  call(getTask, { id: req.params.id }, await authorize(req.headers.authorization, reply)));

app.listen({ port: Number(env.BARE_HTTP_PORT), host: '127.0.0.1' }).then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void app.close().then(() => redis.quit()).finally(() => process.exit(0)));
