import { JwtAccessTokenVerifier, resolveAuthOptions } from '@aether/auth';
import { UnauthenticatedError } from '@aether/service-kit';
import { TestIdentities } from './test-identities';

/** The tokens must pass the services' own verifier, fetched over the JWKS URL like a service does. */
describe('TestIdentities', () => {
  const identities = new TestIdentities();
  let verifier: JwtAccessTokenVerifier;

  beforeAll(async () => {
    await identities.start();
    verifier = new JwtAccessTokenVerifier(
      resolveAuthOptions({ issuer: 'aether-security', audience: 'aether', jwksUrl: identities.jwksUrl }),
    );
  });
  afterAll(() => identities.stop());

  it('signs tokens the services accept, carrying the real permissions of the role', async () => {
    const viewer = await identities.user('viewer', '6f1c1a52-4c3e-4f8e-9d55-1f1f5b0e2a11');
    const principal = await verifier.verify(viewer.principal.accessToken);
    expect(principal).toEqual(viewer.principal);
    expect(principal).toMatchObject({ userId: viewer.id, roles: ['viewer'], permissions: expect.arrayContaining(['tasks:read']) });
    expect(principal.permissions).not.toContain('tasks:write');

    const admin = await identities.user('admin');
    expect((await verifier.verify(admin.principal.accessToken)).permissions).toEqual(
      expect.arrayContaining(['tasks:read:all', 'tasks:write:all']),
    );
    expect(admin.id).not.toBe(viewer.id);
  });

  it('puts the token in gRPC metadata and HTTP headers', async () => {
    const dev = await identities.user();
    expect(dev.principal.roles).toEqual(['developer']);
    expect(dev.metadata().get('authorization')).toEqual([`Bearer ${dev.principal.accessToken}`]);
    expect(dev.bearer()).toEqual({ authorization: `Bearer ${dev.principal.accessToken}` });
  });

  it('is not trusted by a verifier that has other keys', async () => {
    const other = await new TestIdentities().start();
    try {
      const stranger = await other.user();
      await expect(verifier.verify(stranger.principal.accessToken)).rejects.toBeInstanceOf(UnauthenticatedError);
    } finally {
      await other.stop();
    }
  });
});
