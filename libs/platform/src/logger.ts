import { ConsoleLogger, type ConsoleLoggerOptions, type LogLevel } from '@nestjs/common';

const LEVELS: Record<string, LogLevel[]> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

/** Nest's start-up chatter (one line per module and route) only shows at debug level. */
const BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

class ServiceLogger extends ConsoleLogger {
  constructor(
    private readonly verbose_: boolean,
    options: ConsoleLoggerOptions,
  ) {
    super(options);
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (!this.verbose_ && typeof context === 'string' && BOOT_CONTEXTS.has(context)) return;
    super.log(message, ...rest);
  }
}

/**
 * JSON logs in production, readable lines in development; one prefix per service.
 * Colours only on a terminal: under `npm start` the supervisor prefixes and colours each service.
 */
export function createLogger(service: string, level = 'info', json = process.env.NODE_ENV === 'production') {
  const colors = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  return new ServiceLogger(level === 'debug', {
    logLevels: LEVELS[level] ?? LEVELS.info,
    json,
    prefix: service,
    colors,
  });
}
