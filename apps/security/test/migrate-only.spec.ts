import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { createTempDatabase, createTempVhost, reflectionClient, startApp, type TempResource } from '@aether/testing';

const MAIN = resolve(__dirname, '../../../dist/apps/security/src/main.bundle.js');

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('exit', (code) => res({ code, stdout, stderr }));
  });
}

/** The built service's starts: served (from its bundle), MIGRATE_ONLY=true (the Helm pre-upgrade Job's), a bad env. */
describe('security process start modes (dist/)', () => {
  let database: TempResource;
  let vhost: TempResource;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} missing: run npm run build first`);
    [database, vhost] = await Promise.all([createTempDatabase('security_migrate'), createTempVhost('security_migrate')]);
  });

  afterAll(async () => {
    await Promise.allSettled([database?.drop(), vhost?.drop()]);
  });

  it('MIGRATE_ONLY=true applies the migrations and exits 0 without serving', async () => {
    const { code, stdout } = await run({ MIGRATE_ONLY: 'true', DATABASE_URL: database.url, RABBITMQ_URL: vhost.url, HTTP_PORT: '0', GRPC_PORT: '0' });
    expect(code).toBe(0);
    expect(stdout).toContain('migrations applied');
    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      const { rows } = await pg.query('SELECT count(*)::int AS n FROM migrations');
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await pg.end();
    }
  });

  it('serves gRPC server reflection from its bundle (the kit builds it on the first call)', async () => {
    const app = await startApp('security', { DATABASE_URL: database.url, RABBITMQ_URL: vhost.url });
    try {
      // The bundled kit finds @grpc/reflection's protos at run time (require.resolve from dist/).
      const reflection = reflectionClient(app.grpcAddress);
      try {
        expect(await reflection.services()).toEqual(['aether.security.v1.SecurityService']);
      } finally {
        reflection.close();
      }
    } finally {
      await app.stop();
    }
  });

  it('exits 78 naming the missing variables of the service definition env', async () => {
    const { code, stderr } = await run({ RABBITMQ_URL: 'not-a-url' });
    expect(code).toBe(78);
    expect(stderr).toContain('DATABASE_URL: is missing');
    expect(stderr).toContain('RABBITMQ_URL');
    expect(stderr).not.toContain('not-a-url');
  });
});
