import 'reflect-metadata';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { AppModule } from '../app.module';
import { controllersOfModule, routesOf } from '../auth/route-table';
import { loadGatewayConfig } from '../config';
import { bodyOf } from '../http/body';
import { buildOpenApiDocument } from './document';

const controllers = controllersOfModule(AppModule.forRoot(loadGatewayConfig({})));
const doc = buildOpenApiDocument(controllers);
type Op = {
  tags: string[];
  parameters: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
  security: unknown[];
};
const op = (method: string, path: string) => doc.paths[path]?.[method] as unknown as Op;

describe('the OpenAPI document, from the controllers alone', () => {
  it("lists the WebSocket's messages, one schema per type", () => {
    const variants = (name: string) => {
      const s = doc.components.schemas[name] as { oneOf?: unknown[]; anyOf?: unknown[] };
      return (s.oneOf ?? s.anyOf ?? []).map(
        (v) => (v as { properties: { type: { enum: string[] } } }).properties.type.enum,
      );
    };
    expect(variants('WsClientMessage')).toEqual([['subscribe'], ['unsubscribe'], ['ping']]);
    expect(variants('WsServerMessage')).toEqual([
      ['recognition'],
      ['stream'],
      ['error'],
      ['subscribed'],
      ['unsubscribed'],
      ['pong'],
    ]);
  });

  it('describes every route the gateway serves, each with its @Doc()', () => {
    const routes = routesOf(controllers);
    const documented = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual(
      routes.map((r) => `${r.method.toLowerCase()} ${r.template.replace(/:(\w+)/g, '{$1}')}`).sort(),
    );
    const undocumented = documented.filter((r) => op(r.split(' ')[0], r.split(' ')[1]).tags[0] === 'other');
    expect(undocumented).toEqual([]);
  });

  it("takes an upload's body from its declaration, its query from its pipe, and its refusals from its access", () => {
    const recognize = op('post', '/api/v1/recognize');
    expect(Object.keys(recognize.requestBody!.content)).toEqual(['image/jpeg', 'image/png', 'multipart/form-data']);
    expect(recognize.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['query:store', 'query:threshold']),
    );
    expect(Object.keys(recognize.responses)).toEqual(
      expect.arrayContaining(['200', '401', '403', '413', '415', '429']),
    );
    expect(recognize.security).toHaveLength(3);
    const enroll = op('post', '/api/v1/persons');
    expect(enroll.requestBody!.content['multipart/form-data'].schema).toMatchObject({
      required: ['images'],
      properties: { images: { type: 'array' }, name: { maxLength: 100 } },
    });
    expect(Object.keys(enroll.responses)).toContain('201');
  });

  it("takes a JSON body's schema from its ZodPipe, and a path param's too", () => {
    const rename = op('patch', '/api/v1/persons/{id}');
    expect(rename.requestBody!.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { name: expect.any(Object) },
      additionalProperties: false,
    });
    expect(rename.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', schema: expect.objectContaining({ format: 'uuid' }) }),
    ]);
    expect(op('post', '/api/v1/sessions').requestBody).toMatchObject({ required: false });
  });

  it('leaves the open routes open: no security, no 401 (sign-in answers one for a wrong key)', () => {
    expect(op('post', '/api/v1/auth/session').security).toEqual([]);
    for (const [m, p] of [
      ['get', '/healthz'],
      ['options', '/api/v1/whip/{sessionId}'],
    ]) {
      expect({ route: `${m} ${p}`, security: op(m, p).security, has401: '401' in op(m, p).responses }).toEqual({
        route: `${m} ${p}`,
        security: [],
        has401: false,
      });
    }
  });

  it('has no handler that reads a body without declaring how it is read (else it would always see none)', () => {
    const missing = controllers.flatMap((cls) =>
      Object.getOwnPropertyNames(cls.prototype)
        .filter((name) => {
          const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, name) ?? {}) as Record<string, unknown>;
          const readsBody = Object.keys(args).some((k) => Number(k.split(':')[0]) === RouteParamtypes.BODY);
          return readsBody && !bodyOf(cls.prototype[name] as object);
        })
        .map((name) => `${cls.name}.${name}`),
    );
    expect(missing).toEqual([]);
  });
});
