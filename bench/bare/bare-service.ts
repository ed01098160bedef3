/**
 * Bare reference of a service hop (bench/request-path.ts): a grpc-js server doing only the
 * essential work of security's GetMe and task-manager's GetTask — verify the ES256 access token
 * with jose (same library, same checks), run the same single-row PostgreSQL read with pg, encode
 * the reply. No framework, no logging, no metrics. Started by the bench as its own process.
 *
 * Env: BARE_GRPC_ADDRESS, JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE, SECURITY_DATABASE_URL,
 * TASKS_DATABASE_URL. Prints `ready` when it serves.
 */
import { loadPackageDefinition, Server, ServerCredentials, status, type Metadata, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { Pool } from 'pg';
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
const users = new Pool({ connectionString: env.SECURITY_DATABASE_URL, max: 10 });
const tasks = new Pool({ connectionString: env.TASKS_DATABASE_URL, max: 10 });

type Callback = (err: { code: number; details: string } | null, value?: unknown) => void;
type Call = { request: { id?: string }; metadata: Metadata };

async function verify(md: Metadata): Promise<JWTPayload> {
  const header = String(md.get('authorization')[0] ?? '');
  if (!header.startsWith('Bearer ')) throw { code: status.UNAUTHENTICATED, details: 'no token' };
  return verifyToken(header.slice(7));
}

const iso = (d: Date | null) => (d ? d.toISOString() : '');

function serviceOf(app: string, path: string[]): ServiceDefinition {
  const def = loadSync(protoFile(app as never), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  let node: unknown = loadPackageDefinition(def);
  for (const p of path) node = (node as Record<string, unknown>)[p];
  return (node as { service: ServiceDefinition }).service;
}

function unary(handler: (call: Call) => Promise<unknown>) {
  return (call: Call, cb: Callback) =>
    handler(call).then(
      (v) => cb(null, v),
      (e: { code?: number; details?: string; message?: string }) => cb({ code: e.code ?? status.UNAUTHENTICATED, details: e.details ?? e.message ?? 'error' }),
    );
}

const security: UntypedServiceImplementation = {
  GetMe: unary(async ({ metadata }) => {
    const claims = await verify(metadata);
    const { rows } = await users.query('SELECT * FROM users WHERE id = $1 LIMIT 1', [claims.sub]);
    const u = rows[0];
    if (!u) throw { code: status.NOT_FOUND, details: 'User not found' };
    return { id: u.id, email: u.email, name: u.name, roles: u.roles, permissions: claims.perms };
  }),
};

const taskManager: UntypedServiceImplementation = {
  GetTask: unary(async ({ request, metadata }) => {
    const claims = await verify(metadata);
    const { rows } = await tasks.query('SELECT * FROM tasks WHERE id = $1 LIMIT 1', [request.id]);
    const t = rows[0];
    const admin = ((claims.roles as string[]) ?? []).includes('admin');
    if (!t || (!admin && t.owner_id !== claims.sub && t.assignee_id !== claims.sub)) throw { code: status.NOT_FOUND, details: 'Task not found' };
    return {
      id: t.id, title: t.title, description: t.description, status: t.status, priority: t.priority, labels: t.labels,
      dueAt: iso(t.due_at), assigneeId: t.assignee_id ?? '', ownerId: t.owner_id, createdAt: iso(t.created_at),
      updatedAt: iso(t.updated_at), completedAt: iso(t.completed_at), version: t.version, scheduleId: t.schedule_id ?? '',
    };
  }),
};

const server = new Server();
server.addService(serviceOf('security', ['aether', 'security', 'v1', 'SecurityService']), security);
server.addService(serviceOf('task-manager', ['aether', 'task_manager', 'v1', 'TaskManagerService']), taskManager);
server.bindAsync(env.BARE_GRPC_ADDRESS, ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => server.tryShutdown(() => void Promise.all([users.end(), tasks.end()]).then(() => process.exit(0))));
