import 'reflect-metadata';
import { Controller, Delete, Get, Patch, Post } from '@nestjs/common';
import { AppModule } from '../app.module';
import { loadGatewayConfig } from '../config';
import { AccessDeclarationError, LiveSession, Public, RequireScope } from './access';
import { RATE_LIMIT_METADATA } from '../security/limits';
import { controllersOfModule, RouteTable, RouteTableError, routesOf, type RouteEntry } from './route-table';

@Controller('api/v1/things')
class ThingsController {
  @Get()
  @RequireScope('read')
  list() {}

  @Get(':id')
  @RequireScope('read')
  get() {}

  @Patch(':id')
  @RequireScope('write')
  @LiveSession('stream')
  update() {}

  @Post('open')
  @Public()
  open() {}
}

@Controller('api/v1/admin')
@RequireScope('admin')
class AdminController {
  @Get()
  list() {}

  @Delete(':id')
  @RequireScope('write') // the method's declaration wins over the class's
  remove() {}
}

describe('route table from controller metadata', () => {
  const table = new RouteTable([
    ...routesOf([ThingsController, AdminController]),
    { method: 'GET', template: '/api/docs', prefix: true, access: { public: true }, handler: 'Docs' },
  ]);

  it('reads each handler’s declaration, the class’s as a default', () => {
    const byHandler = Object.fromEntries(table.entries.map((e) => [e.handler, e]));
    expect(byHandler['ThingsController.list']).toMatchObject({
      method: 'GET',
      template: '/api/v1/things',
      access: { public: false, scope: 'read', live: null },
    });
    expect(byHandler['ThingsController.update']).toMatchObject({
      method: 'PATCH',
      template: '/api/v1/things/:id',
      access: { scope: 'write', live: 'stream' },
    });
    expect(byHandler['ThingsController.open'].access).toEqual({ public: true });
    expect(byHandler['AdminController.list'].access).toMatchObject({ scope: 'admin' });
    expect(byHandler['AdminController.remove'].access).toMatchObject({ scope: 'write' });
  });

  it('refuses to start with a route that declares no access', () => {
    @Controller('x')
    class Undeclared {
      @Get()
      get() {}
    }
    expect(() => routesOf([Undeclared])).toThrow(AccessDeclarationError);
    expect(() => routesOf([Undeclared])).toThrow(/Undeclared\.get: declares no access/);
  });

  it('refuses @Public() with @LiveSession(), a live route without its param, and overlapping routes that disagree', () => {
    @Controller('x')
    class Both {
      @Get(':id')
      @Public()
      @LiveSession('crop')
      get() {}
    }
    expect(() => routesOf([Both])).toThrow(AccessDeclarationError);
    @Controller('x')
    class NoParam {
      @Post()
      @LiveSession('whip')
      offer() {}
    }
    expect(() => new RouteTable(routesOf([NoParam]))).toThrow(RouteTableError);
    @Controller('x')
    class Overlap {
      @Get('me')
      @RequireScope('read')
      me() {}

      @Get(':id')
      @RequireScope('admin')
      get() {}
    }
    expect(() => new RouteTable(routesOf([Overlap]))).toThrow(/can match the same path with different access/);
  });

  it('refuses templates it cannot match as Express does', () => {
    const entry = (template: string): RouteEntry => ({
      method: 'GET',
      template,
      access: { public: true },
      handler: 'X.y',
    });
    for (const t of ['/x/{*rest}', '/x/*', '/x/:id?', 'x', '/x/../y', '/x//y'])
      expect(() => new RouteTable([entry(t)])).toThrow(RouteTableError);
  });
});

describe("the gateway's own routes", () => {
  const entries = routesOf(controllersOfModule(AppModule.forRoot(loadGatewayConfig({}))));
  const access = (method: string, template: string) =>
    entries.find((e) => e.method === method && e.template === template)?.access ?? 'none';

  it('all declare their access, and no two can match the same request with different access', () => {
    expect(entries.length).toBeGreaterThan(30);
    expect(() => new RouteTable(entries)).not.toThrow();
  });

  it('no route is weaker than the rule: GET read, other methods write, keys and webhooks admin', () => {
    const rank = { read: 1, write: 2, admin: 3 } as const;
    for (const e of entries) {
      if (e.access.public || e.access.scope === null) continue;
      const admin = /^\/api\/v1\/(api-keys|webhooks)(\/|$)/.test(e.template);
      const least = admin ? 'admin' : e.method === 'GET' ? 'read' : 'write';
      const route = `${e.method} ${e.template} (${e.access.scope})`;
      expect({ route, weaker: rank[e.access.scope] < rank[least] }).toEqual({ route, weaker: false });
    }
  });

  it("opens sign-in, /healthz, and WHIP's OPTIONS and always-405 PATCH only", () => {
    const open = entries.filter((e) => e.access.public).map((e) => `${e.method} ${e.template}`);
    expect(open.sort()).toEqual(
      [
        'DELETE /api/v1/auth/session',
        'GET /api/v1/auth/session',
        'GET /healthz',
        'OPTIONS /api/v1/whip/:sessionId',
        'PATCH /api/v1/whip/:sessionId/:resourceId',
        'POST /api/v1/auth/session',
      ].sort(),
    );
    expect(access('POST', '/api/v1/api-keys')).toMatchObject({ scope: 'admin' });
    expect(access('GET', '/api/v1/webhooks')).toMatchObject({ scope: 'admin' });
    expect(access('POST', '/API/v1/api-keys')).toBe('none');
  });

  it('gives sign-in, new sessions and WHIP offers their own rate limits', () => {
    const limited = controllersOfModule(AppModule.forRoot(loadGatewayConfig({}))).flatMap((cls) =>
      Object.getOwnPropertyNames(cls.prototype)
        .filter((name) => Reflect.getMetadata(RATE_LIMIT_METADATA, cls.prototype[name]))
        .map((name) => `${cls.name}.${name} ${Reflect.getMetadata(RATE_LIMIT_METADATA, cls.prototype[name])}`),
    );
    expect(limited.sort()).toEqual([
      'AuthSessionController.login sign-in',
      'SessionsController.create session',
      'WhipController.offer whip',
    ]);
  });

  it('takes camera session tokens on WHIP, a live stream’s PATCH/DELETE and crops only', () => {
    const live = entries
      .filter((e) => !e.access.public && e.access.live)
      .map((e) => `${e.method} ${e.template} ${(e.access as { live: string }).live}`);
    expect(live.sort()).toEqual(
      [
        'DELETE /api/v1/streams/:id stream',
        'DELETE /api/v1/whip/:sessionId/:resourceId whip',
        'GET /api/v1/faces/:id/crop crop',
        'PATCH /api/v1/streams/:id stream',
        'POST /api/v1/whip/:sessionId whip',
      ].sort(),
    );
  });
});
