import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { ACCESS_METADATA, LIVE_METADATA, resolveAccess, type LiveKind, type RouteAccess } from './access';

/**
 * Every route the gateway serves, with the access its handler declares (auth/access.ts), listed once at
 * startup from Nest's controllers: the gateway refuses to start when a route declares no access, or when
 * two routes that can match one path declare different access. Routing itself is Express's (app.ts);
 * the auth matrix test and the OpenAPI document walk this list.
 */

export const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];

export interface RouteEntry {
  method: RouteMethod;
  /** `/api/v1/persons/:id`; with `prefix`, also everything below it (`/api/docs/…`). */
  template: string;
  prefix?: boolean;
  access: RouteAccess;
  /** `Controller.method`, for messages. */
  handler: string;
}

export class RouteTableError extends Error {
  override readonly name = 'RouteTableError';
  readonly code = 'ROUTE_TABLE_INVALID';
}

/** The param a live-session route must have: the resource its token is checked against. */
export const LIVE_PARAM: Record<LiveKind, string> = { whip: 'sessionId', stream: 'id', crop: 'id' };

const LITERAL = /^[A-Za-z0-9_.~-]+$/;
const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

const segmentsOf = (template: string) => template.split('/').slice(1);

interface Compiled extends RouteEntry {
  segments: string[];
}

function compile(entry: RouteEntry): Compiled {
  const segments = entry.template === '/' ? [] : segmentsOf(entry.template);
  const bad =
    !entry.template.startsWith('/') ||
    segments.some((s) => s === '.' || s === '..' || (!LITERAL.test(s) && !PARAM.test(s)));
  if (bad)
    throw new RouteTableError(
      `${entry.handler}: unsupported path template '${entry.template}' (only literal segments and :params)`,
    );
  const live = entry.access.public ? null : entry.access.live;
  if (live && !segments.includes(`:${LIVE_PARAM[live]}`)) {
    throw new RouteTableError(
      `${entry.handler}: @LiveSession('${live}') needs a :${LIVE_PARAM[live]} param in '${entry.template}'`,
    );
  }
  return { ...entry, segments };
}

const sameAccess = (a: RouteAccess, b: RouteAccess) => JSON.stringify(a) === JSON.stringify(b);

/** Whether some path matches both: then their access must agree, so that registration order never decides it. */
function overlaps(a: Compiled, b: Compiled): boolean {
  if (a.method !== b.method) return false;
  const [short, long] = a.segments.length <= b.segments.length ? [a, b] : [b, a];
  if (short.segments.length !== long.segments.length && !short.prefix) return false;
  return short.segments.every(
    (x, i) => x === long.segments[i] || x.startsWith(':') || long.segments[i].startsWith(':'),
  );
}

export class RouteTable {
  private readonly routes: Compiled[];

  constructor(entries: readonly RouteEntry[]) {
    this.routes = entries.map(compile);
    for (let i = 0; i < this.routes.length; i++) {
      for (let j = i + 1; j < this.routes.length; j++) {
        const [a, b] = [this.routes[i], this.routes[j]];
        if (overlaps(a, b) && !sameAccess(a.access, b.access)) {
          throw new RouteTableError(
            `${a.handler} (${a.method} ${a.template}) and ${b.handler} (${b.template}) can match the same path with different access`,
          );
        }
      }
    }
  }

  get entries(): readonly RouteEntry[] {
    return this.routes.map(({ segments: _s, ...e }) => e);
  }
}

// ---- building the table from Nest's controllers

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');
const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [v === undefined ? '/' : String(v)]);

function methodName(m: RequestMethod, where: string): RouteMethod {
  const name = RequestMethod[m] as string;
  if (!(ROUTE_METHODS as readonly string[]).includes(name))
    throw new RouteTableError(`${where}: method ${name} is not supported by the route table`);
  return name as RouteMethod;
}

/** The routes the given controller classes declare, with their access (an error names any route without one). */
export function routesOf(controllers: readonly Type[]): RouteEntry[] {
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const entries: RouteEntry[] = [];
  for (const cls of controllers) {
    const base = asList(Reflect.getMetadata(PATH_METADATA, cls));
    for (const name of scanner.getAllMethodNames(cls.prototype)) {
      const handler = cls.prototype[name] as () => unknown;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
      if (paths === undefined) continue; // not a route handler
      const where = `${cls.name}.${name}`;
      const method = methodName(Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod, where);
      const targets = [handler, cls];
      const access = resolveAccess(
        reflector.getAllAndOverride(ACCESS_METADATA, targets),
        reflector.getAllAndOverride(LIVE_METADATA, targets),
        where,
      );
      for (const b of base)
        for (const p of asList(paths)) entries.push({ method, template: joinPath(b, p), access, handler: where });
    }
  }
  return entries;
}

/** Every controller class of the app (after NestFactory.create, before or after init). */
export function controllersOf(app: INestApplication): Type[] {
  const wrappers = new DiscoveryService(app.get(ModulesContainer)).getControllers();
  return [...new Set(wrappers.map((w) => w.metatype as Type | undefined).filter((c): c is Type => !!c?.prototype))];
}

/** Every controller class a module brings in, through its imports too (no app, no I/O: the OpenAPI document is built this way at build time). */
export function controllersOfModule(mod: DynamicModule | Type): Type[] {
  const dynamic = 'module' in mod ? mod : undefined;
  const cls = dynamic ? dynamic.module : (mod as Type);
  const own = [
    ...(dynamic?.controllers ?? []),
    ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, cls) as Type[] | undefined) ?? []),
  ];
  const imports = [
    ...(dynamic?.imports ?? []),
    ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, cls) as Type[] | undefined) ?? []),
  ] as (DynamicModule | Type)[];
  return [...new Set([...own, ...imports.filter(Boolean).flatMap((m) => controllersOfModule(m))])];
}

/** The table for the app's controllers plus `extra` routes served outside Nest (the API docs). */
export function buildRouteTable(app: INestApplication, extra: readonly RouteEntry[] = []): RouteTable {
  return new RouteTable([...routesOf(controllersOf(app)), ...extra]);
}
