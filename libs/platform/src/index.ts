export * from './bus';
export * from './bus.module';
export * from './config';
export * from './errors';
export * from './logger';
export * from './retry';
export * from './semaphore';
export * from './metrics';
