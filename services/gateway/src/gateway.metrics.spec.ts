import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import { GatewayMetrics, HttpMetricsMiddleware, routeOf } from './gateway.metrics';

const lines = async (m: GatewayMetrics, name: string) =>
  (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(name));

describe('GatewayMetrics', () => {
  it('labels requests by route template, never by raw path', () => {
    expect(routeOf({ route: { path: '/api/v1/persons/:id' }, baseUrl: '' } as never)).toBe('/api/v1/persons/:id');
    expect(routeOf({ route: undefined, baseUrl: '' } as never)).toBe('unmatched');
  });

  it('times a request from arrival to the end of its response and counts refusals', async () => {
    const m = new GatewayMetrics(false);
    const mw = new HttpMetricsMiddleware(m);
    const exchange = (route: string | undefined, method: string, status: number) => {
      const req = { method, route: route && { path: route }, baseUrl: '' } as unknown as Request;
      const res = Object.assign(new EventEmitter(), { statusCode: status }) as unknown as Response;
      const next = jest.fn() as NextFunction;
      mw.use(req, res, next);
      expect(next).toHaveBeenCalledTimes(1);
      return res;
    };
    const pending = exchange('/api/v1/recognize', 'POST', 200);
    expect(await lines(m, 'glimpse_gateway_http_request_seconds_count')).toEqual([]);
    pending.emit('finish');
    exchange('/api/v1/recognize', 'POST', 503).emit('finish');
    exchange('/api/v1/persons/:id', 'GET', 401).emit('finish');
    exchange(undefined, 'GET', 404).emit('finish');
    expect(await lines(m, 'glimpse_gateway_http_request_seconds_count')).toEqual([
      'glimpse_gateway_http_request_seconds_count{route="/api/v1/recognize",method="POST",status="200"} 1',
      'glimpse_gateway_http_request_seconds_count{route="/api/v1/recognize",method="POST",status="503"} 1',
      'glimpse_gateway_http_request_seconds_count{route="/api/v1/persons/:id",method="GET",status="401"} 1',
      'glimpse_gateway_http_request_seconds_count{route="unmatched",method="GET",status="404"} 1',
    ]);
    expect(await lines(m, 'glimpse_gateway_http_rejected_total')).toEqual([
      'glimpse_gateway_http_rejected_total{reason="unavailable"} 1',
      'glimpse_gateway_http_rejected_total{reason="unauthorized"} 1',
    ]);
  });

  it('reads the WebSocket client count on scrape', async () => {
    const m = new GatewayMetrics(false);
    expect(await lines(m, 'glimpse_gateway_ws_clients')).toEqual(['glimpse_gateway_ws_clients 0']);
    let n = 3;
    m.countClientsWith(() => n);
    expect(await lines(m, 'glimpse_gateway_ws_clients')).toEqual(['glimpse_gateway_ws_clients 3']);
    n = 1;
    expect(await lines(m, 'glimpse_gateway_ws_clients')).toEqual(['glimpse_gateway_ws_clients 1']);
  });
});
