import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { SessionService } from '../sessions/session.service';
import { LiveSession, Public, RequireScope } from './access';
import { AuthGuard, principalOf, setPrincipal } from './auth.guard';
import type { AuthService, Principal } from './auth.service';
import { setMatchedRoute } from './route-table';

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
  const guard = new AuthGuard(auth, {} as SessionService, new Reflector());
  const req = (extra: Partial<Request> = {}) => ({ method: 'POST', path: '/anything', headers: {}, ...extra }) as Request;

  beforeEach(() => authenticate.mockReset());

  it('asks for the scope the handler declares, whatever the path', async () => {
    authenticate.mockResolvedValue(key(['write']));
    await expect(guard.canActivate(ctx('admin', req({ path: '/API/v1/api-keys' })))).rejects.toMatchObject({ code: 'FORBIDDEN' });
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

  it("takes earlyAuth's session principal on live handlers only", async () => {
    const live = req();
    setPrincipal(live, { kind: 'session', scopes: [] });
    await expect(guard.canActivate(ctx('crop', live))).resolves.toBe(true);
    const other = req();
    setPrincipal(other, { kind: 'session', scopes: [] });
    await expect(guard.canActivate(ctx('admin', other))).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses when earlyAuth matched a route with other access than the handler Nest picked', async () => {
    const r = req();
    setPrincipal(r, key(['read']));
    setMatchedRoute(r, { kind: 'route', params: {}, route: { method: 'GET', template: '/x', access: { public: false, scope: 'read', live: null }, handler: 'X.x' } });
    await expect(guard.canActivate(ctx('admin', r))).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
