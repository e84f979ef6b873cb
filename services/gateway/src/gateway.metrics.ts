import {
  Inject,
  Injectable,
  type NestMiddleware,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Bus, Counter, InjectBus, ServiceMetrics } from '@glimpse/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { WsGateway } from './ws.gateway';

/** Statuses that mean "refused before any work": counted apart so an operator sees shedding and abuse. */
const REJECTED: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  413: 'too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

/** The gateway's metrics: HTTP by route template, WebSocket clients, upstream NATS latency (bus histogram). */
export class GatewayMetrics extends ServiceMetrics {
  private readonly r = [this.registry];
  private clients?: () => number;
  readonly http = this.seconds(
    'glimpse_gateway_http_request_seconds',
    'HTTP requests by route template (not the raw path, to keep the series few), method and status',
    ['route', 'method', 'status'],
  );
  readonly rejected = new Counter({
    name: 'glimpse_gateway_http_rejected_total',
    help: 'Requests refused: unauthorized, forbidden, too_large, rate_limited, unavailable (503, e.g. a shed frame)',
    labelNames: ['reason'],
    registers: this.r,
  });

  constructor(defaults = true) {
    super('gateway', { defaults });
    this.gaugeOf('glimpse_gateway_ws_clients', 'Connected WebSocket clients', () => this.clients?.() ?? 0);
  }

  countClientsWith(fn: () => number): void {
    this.clients = fn;
  }

  /** Records one finished HTTP exchange. */
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.http.observe({ route, method, status: String(status) }, seconds);
    const reason = REJECTED[status];
    if (reason) this.rejected.inc({ reason });
  }
}

/**
 * The route template Express matched (`/api/v1/persons/:id`), known once the response finishes;
 * requests no route took (static files, 404s) share one label so that scanners cannot add series.
 */
export function routeOf(req: Pick<Request, 'route' | 'baseUrl'>): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : 'unmatched';
}

/** Times every request to its end; mounted for all routes by AppModule. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: GatewayMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    res.once('finish', () =>
      this.metrics.observeHttp(routeOf(req), req.method, res.statusCode, (performance.now() - started) / 1000),
    );
    next();
  }
}

/** Wires the gateway's metrics to the bus and the WebSocket server, and serves them. */
@Injectable()
export class GatewayMetricsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly metrics: GatewayMetrics,
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly ws: WsGateway,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.countClientsWith(() => this.ws.connectedClients);
    this.metrics.watchBus(this.bus);
    await this.metrics.serve(this.cfg.METRICS_PORT);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.metrics.close();
  }
}
