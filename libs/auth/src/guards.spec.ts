import { Metadata } from '@grpc/grpc-js';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { PermissionDeniedError, UnauthenticatedError } from '@aether/service-kit';
import type { AccessTokenVerifier } from './access-token.verifier';
import { Public, RequirePermissions } from './decorators';
import { GrpcAuthGuard } from './grpc-auth.guard';
import { bearerMetadata, forwardAuthMetadata } from './grpc-metadata';
import { PermissionsGuard } from './permissions.guard';
import type { Principal } from './principal';
import { findPrincipal, principalFrom } from './principal-context';

const developer: Principal = {
  userId: 'u-1',
  email: 'dev@example.com',
  roles: ['developer'],
  permissions: ['tasks:read', 'tasks:write'],
  accessToken: 'good-token',
};

/** Accepts exactly one token; stands in for the JWT verifier (covered by its own spec). */
const fakeVerifier: AccessTokenVerifier = {
  verify: async (token) => {
    if (token !== 'good-token') throw new UnauthenticatedError('TOKEN_INVALID', 'bad');
    return developer;
  },
};

@RequirePermissions('tasks:read')
class TasksHandlers {
  list() {}
  @RequirePermissions('tasks:write') create() {}
  @RequirePermissions('users:manage') adminOnly() {}
  @Public() ping() {}
}

function rpcContext(method: keyof TasksHandlers, metadata: Metadata): ExecutionContextHost {
  const ctx = new ExecutionContextHost([{}, metadata, {}], TasksHandlers, TasksHandlers.prototype[method]);
  ctx.setType('rpc');
  return ctx;
}

function httpContext(method: keyof TasksHandlers, request: object): ExecutionContextHost {
  const ctx = new ExecutionContextHost([request, {}, () => undefined], TasksHandlers, TasksHandlers.prototype[method]);
  ctx.setType('http');
  return ctx;
}

async function rejection(p: Promise<unknown> | unknown): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('GrpcAuthGuard', () => {
  const guard = new GrpcAuthGuard(fakeVerifier, new Reflector());

  it('verifies the bearer token and stores the principal for the handler', async () => {
    const metadata = bearerMetadata('good-token');
    await expect(guard.canActivate(rpcContext('list', metadata))).resolves.toBe(true);
    expect(principalFrom(metadata)).toBe(developer);
  });

  it('requires class and method permissions together', async () => {
    await expect(guard.canActivate(rpcContext('create', bearerMetadata('good-token')))).resolves.toBe(true);
    const err = await rejection(guard.canActivate(rpcContext('adminOnly', bearerMetadata('good-token'))));
    expect(err).toBeInstanceOf(PermissionDeniedError);
  });

  it('answers TOKEN_MISSING without metadata and TOKEN_INVALID for another scheme or a bad token', async () => {
    const missing = await rejection(guard.canActivate(rpcContext('list', new Metadata())));
    expect(missing).toMatchObject({ code: 'TOKEN_MISSING' });
    expect(missing).toBeInstanceOf(UnauthenticatedError);

    const basic = new Metadata();
    basic.set('authorization', 'Basic dXNlcjpwYXNz');
    expect(await rejection(guard.canActivate(rpcContext('list', basic)))).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(await rejection(guard.canActivate(rpcContext('list', bearerMetadata('forged'))))).toMatchObject({
      code: 'TOKEN_INVALID',
    });
  });

  it('lets @Public handlers through without a token and stores nothing', async () => {
    const metadata = new Metadata();
    await expect(guard.canActivate(rpcContext('ping', metadata))).resolves.toBe(true);
    expect(findPrincipal(metadata)).toBeUndefined();
    expect(() => principalFrom(metadata)).toThrow(UnauthenticatedError);
  });

  it('admits a token the verifier already knows without a verify call, and still checks permissions', async () => {
    let verifies = 0;
    const known: AccessTokenVerifier = {
      verify: async (token) => {
        verifies++;
        return fakeVerifier.verify(token);
      },
      peek: (token) => (token === 'good-token' ? developer : undefined),
    };
    const fast = new GrpcAuthGuard(known, new Reflector());
    const metadata = bearerMetadata('good-token');
    await expect(fast.canActivate(rpcContext('list', metadata))).resolves.toBe(true);
    expect(principalFrom(metadata)).toBe(developer);
    expect(verifies).toBe(0);
    expect(await rejection(fast.canActivate(rpcContext('adminOnly', bearerMetadata('good-token'))))).toBeInstanceOf(PermissionDeniedError);
    expect(await rejection(fast.canActivate(rpcContext('list', bearerMetadata('forged'))))).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(verifies).toBe(1);
  });

  it('keeps the principal on the call metadata only: a copy of the metadata carries none', async () => {
    const metadata = bearerMetadata('good-token');
    await guard.canActivate(rpcContext('list', metadata));
    expect(findPrincipal(metadata)).toEqual(developer);
    expect(findPrincipal(metadata.clone())).toBeUndefined();
    expect(Object.keys(metadata.getMap())).toEqual(['authorization']);
  });

  it('leaves HTTP requests (management endpoints) to other guards', async () => {
    await expect(guard.canActivate(httpContext('adminOnly', {}))).resolves.toBe(true);
  });
});

describe('PermissionsGuard', () => {
  const guard = new PermissionsGuard(new Reflector());

  it('checks request.principal on HTTP routes', () => {
    expect(guard.canActivate(httpContext('create', { principal: developer }))).toBe(true);
    expect(() => guard.canActivate(httpContext('adminOnly', { principal: developer }))).toThrow(PermissionDeniedError);
  });

  it('answers 401 when a route needs permissions and nobody was authenticated', () => {
    expect(() => guard.canActivate(httpContext('list', {}))).toThrow(UnauthenticatedError);
    expect(guard.canActivate(httpContext('ping', {}))).toBe(true);
  });

  it('checks the principal GrpcAuthGuard stored for an rpc call', async () => {
    const metadata = bearerMetadata('good-token');
    await new GrpcAuthGuard(fakeVerifier, new Reflector()).canActivate(rpcContext('list', metadata));
    expect(guard.canActivate(rpcContext('create', metadata))).toBe(true);
    expect(() => guard.canActivate(rpcContext('adminOnly', metadata))).toThrow(PermissionDeniedError);
  });
});

describe('client metadata helpers', () => {
  it('puts the caller token in the authorization header', () => {
    expect(bearerMetadata('abc').get('authorization')).toEqual(['Bearer abc']);
    expect(forwardAuthMetadata(developer).get('authorization')).toEqual(['Bearer good-token']);
  });
});

describe('RequirePermissions', () => {
  it('rejects unknown permission strings at decoration time', () => {
    expect(() => RequirePermissions('tasks:*' as never)).toThrow(/unknown permission tasks:\*/);
  });
});
