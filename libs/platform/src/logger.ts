import { ConsoleLogger, type LogLevel } from '@nestjs/common';

const LEVELS: Record<string, LogLevel[]> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

/**
 * JSON logs in production, readable lines in development; one prefix per service.
 * Colours only on a terminal: under `npm start` the supervisor prefixes and colours each service.
 */
export function createLogger(service: string, level = 'info', json = process.env.NODE_ENV === 'production') {
  const colors = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  return new ConsoleLogger({ logLevels: LEVELS[level] ?? LEVELS.info, json, prefix: service, colors });
}
