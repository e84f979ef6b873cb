import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { SessionService } from '../sessions/session.service';
import { LiveSession, Public, RequireScope } from './access';
import { AuthGuard, isAdmitted, principalOf } from './auth.guard';
import type { AuthService, Principal } from './auth.service';
import type { RateLimits } from '../security/limits';
import type { LiveFaces } from '../security/live-faces';

class Ctl {
  @RequireScope('admin')
  admin() {}

  @Public()
  open() {}

  @RequireScope('read')
  @LiveSession('crop')
  crop() {}

  undeclared() {}
}

const ctx = (handler: keyof Ctl, req: Partial<Request>): ExecutionContext =>
  ({
    getType: () => 'http',
    getHandler: () => Ctl.prototype[handler],
    getClass: () => Ctl,
    switchToHttp: () => ({ getRequest: () => req }),
  }) as unknown as ExecutionContext;

const key = (scopes: Principal['scopes']): Principal => ({ kind: 'key', keyId: 'k1', scopes });

describe('AuthGuard (access from the handler, not the path)', () => {
  const authenticate = jest.fn<Promise<Principal | null | undefined>, [unknown]>();
  const auth = { authenticate, isBootstrap: () => false } as unknown as AuthService;
  const limits = { beforeAuth: () => null, afterAuth: () => null, failedAuth: jest.fn() } as unknown as RateLimits;
  const guard = new AuthGuard(auth, {} as SessionService, {} as LiveFaces, limits, new Reflector());
  const req = (extra: Partial<Request> = {}) =>
    ({ method: 'POST', path: '/anything', headers: {}, params: {}, ...extra }) as Request;

  beforeEach(() => authenticate.mockReset());

  it('asks for the scope the handler declares, whatever the path', async () => {
    authenticate.mockResolvedValue(key(['write']));
    await expect(guard.canActivate(ctx('admin', req({ path: '/API/v1/api-keys' })))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    authenticate.mockResolvedValue(undefined);
    await expect(guard.canActivate(ctx('admin', req()))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    authenticate.mockResolvedValue(key(['admin']));
    const r = req();
    await expect(guard.canActivate(ctx('admin', r))).resolves.toBe(true);
    expect(principalOf(r)).toMatchObject({ keyId: 'k1' });
  });

  it('lets anyone call a @Public() handler, and nobody one that declares nothing', async () => {
    await expect(guard.canActivate(ctx('open', req()))).resolves.toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
    authenticate.mockResolvedValue(key(['admin']));
    await expect(guard.canActivate(ctx('undeclared', req()))).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('admits a request only once its credentials pass, and counts a wrong guess against its address', async () => {
    const r = req();
    authenticate.mockResolvedValue(null);
    await expect(guard.canActivate(ctx('admin', r))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(isAdmitted(r)).toBe(false);
    expect(limits.failedAuth).toHaveBeenCalledWith(r);
    authenticate.mockResolvedValue(key(['admin']));
    await expect(guard.canActivate(ctx('admin', r))).resolves.toBe(true);
    expect(isAdmitted(r)).toBe(true);
  });

  it('takes an API key with the scope on a live route, and checks a session token there', async () => {
    authenticate.mockResolvedValue(key(['read']));
    await expect(guard.canActivate(ctx('crop', req()))).resolves.toBe(true);
    const verify = jest.fn(() => {
      throw Object.assign(new Error('bad token'), { code: 'UNAUTHORIZED' });
    });
    const sessions = { verify } as unknown as SessionService;
    const live = new AuthGuard(auth, sessions, {} as LiveFaces, limits, new Reflector());
    await expect(
      live.canActivate(ctx('crop', req({ headers: { authorization: 'Bearer not-a-key' } }))),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(verify).toHaveBeenCalledWith('not-a-key');
  });
});
