export * from './request-id';
export * from './logger-options';
export * from './request-log';
