import 'reflect-metadata';
import { Controller, Delete, Get, Patch, Post, type DynamicModule, type Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { AppModule } from '../app.module';
import { loadGatewayConfig } from '../config';
import { AccessDeclarationError, LiveSession, Public, RequireScope } from './access';
import { RouteTable, RouteTableError, routesOf, type RouteEntry } from './route-table';

/** Every controller class AppModule brings in, through its imports too (no app, no I/O). */
function controllersOf(mod: DynamicModule | Type): Type[] {
  const dynamic = 'module' in mod ? mod : undefined;
  const cls = dynamic ? dynamic.module : (mod as Type);
  const own = [...(dynamic?.controllers ?? []), ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, cls) as Type[]) ?? [])];
  const imports = [...(dynamic?.imports ?? []), ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, cls) as Type[]) ?? [])] as (DynamicModule | Type)[];
  return [...own, ...imports.filter(Boolean).flatMap((m) => controllersOf(m))];
}

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
  const table = new RouteTable([...routesOf([ThingsController, AdminController]), { method: 'GET', template: '/api/docs', prefix: true, access: { public: true }, handler: 'Docs' }]);

  it('reads each handler’s declaration, the class’s as a default', () => {
    const byHandler = Object.fromEntries(table.entries.map((e) => [e.handler, e]));
    expect(byHandler['ThingsController.list']).toMatchObject({ method: 'GET', template: '/api/v1/things', access: { public: false, scope: 'read', live: null } });
    expect(byHandler['ThingsController.update']).toMatchObject({ method: 'PATCH', template: '/api/v1/things/:id', access: { scope: 'write', live: 'stream' } });
    expect(byHandler['ThingsController.open'].access).toEqual({ public: true });
    expect(byHandler['AdminController.list'].access).toMatchObject({ scope: 'admin' });
    expect(byHandler['AdminController.remove'].access).toMatchObject({ scope: 'write' });
  });

  it('matches exactly: case-sensitive, no trailing slash, one raw segment per param', () => {
    expect(table.match('GET', '/api/v1/things/a%20b')).toMatchObject({ kind: 'route', params: { id: 'a b' }, route: { handler: 'ThingsController.get' } });
    expect(table.match('HEAD', '/api/v1/things')).toMatchObject({ kind: 'route', route: { handler: 'ThingsController.list' } });
    for (const path of ['/API/v1/things', '/api/v1/Things', '/api/v1/things/', '/api/v1//things', '/api/v1/things/a/b', '/api/v1']) {
      expect({ path, m: table.match('GET', path) }).toEqual({ path, m: { kind: 'none' } });
    }
    expect(table.match('GET', '/api/docs/swagger-ui.css')).toMatchObject({ kind: 'route', route: { handler: 'Docs' } });
    expect(table.match('GET', '/api/docsx')).toEqual({ kind: 'none' });
  });

  it('answers a known path with another method with the methods it allows', () => {
    expect(table.match('PUT', '/api/v1/things/1')).toEqual({ kind: 'method', allow: ['GET', 'HEAD', 'PATCH'] });
    expect(table.match('DELETE', '/api/v1/things')).toEqual({ kind: 'method', allow: ['GET', 'HEAD'] });
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
    const entry = (template: string): RouteEntry => ({ method: 'GET', template, access: { public: true }, handler: 'X.y' });
    for (const t of ['/x/{*rest}', '/x/*', '/x/:id?', 'x', '/x/../y', '/x//y']) expect(() => new RouteTable([entry(t)])).toThrow(RouteTableError);
  });
});

describe("the gateway's own routes", () => {
  const entries = routesOf(controllersOf(AppModule.forRoot(loadGatewayConfig({}))));
  const table = new RouteTable(entries);
  const access = (method: string, path: string) => {
    const m = table.match(method, path);
    return m.kind === 'route' ? m.route.access : m.kind;
  };

  it('all declare their access, and no two can match the same request with different access', () => {
    expect(entries.length).toBeGreaterThan(30);
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
      ['DELETE /api/v1/auth/session', 'GET /api/v1/auth/session', 'GET /healthz', 'OPTIONS /api/v1/whip/:sessionId', 'PATCH /api/v1/whip/:sessionId/:resourceId', 'POST /api/v1/auth/session'].sort(),
    );
    expect(access('POST', '/api/v1/api-keys')).toMatchObject({ scope: 'admin' });
    expect(access('GET', '/api/v1/webhooks')).toMatchObject({ scope: 'admin' });
    expect(access('POST', '/API/v1/api-keys')).toBe('none');
  });

  it('takes camera session tokens on WHIP, a live stream’s PATCH/DELETE and crops only', () => {
    const live = entries.filter((e) => !e.access.public && e.access.live).map((e) => `${e.method} ${e.template} ${(e.access as { live: string }).live}`);
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
