import { createTempDatabase, createTempVhost, freePort } from '@aether/testing';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GrpcAuthGuard } from '@aether/auth';
it('debug', async () => {
  const orig = GrpcAuthGuard.prototype.canActivate;
  GrpcAuthGuard.prototype.canActivate = async function (ctx: any) {
    console.log('guard', ctx.getType(), ctx.getHandler()?.name, ctx.getClass()?.name);
    try { const r = await orig.call(this, ctx); console.log('guard result', r); return r; } catch (e) { console.log('guard threw', e); throw e; }
  };
  const database = await createTempDatabase('dbg'); const vhost = await createTempVhost('dbg');
  const gp = await freePort();
  Object.assign(process.env, { NODE_ENV: 'test', LOG_LEVEL: 'silent', GRPC_PORT: String(gp), HTTP_PORT: String(await freePort()), DATABASE_URL: database.url, RABBITMQ_URL: vhost.url });
  const [{ bootstrapService }, { AppModule }] = await Promise.all([import('@aether/service-kit'), import('../src/app.module')]);
  const svc = await bootstrapService({ name: 'security', module: AppModule, grpc: 'security' });
  const def = protoLoader.loadSync(protoFile('security'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const client = new pkg.aether.security.v1.SecurityService(`127.0.0.1:${gp}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata(); md.set('authorization', 'Bearer xyz');
  await new Promise((r) => client.listUsers({}, md, (e: any, res: any) => { console.log('res', e?.message, res); r(null); }));
  client.close();
  await svc.shutdown(); await vhost.drop(); await database.drop();
});
