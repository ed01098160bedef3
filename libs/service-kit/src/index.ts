// Decorator metadata must exist before any decorated class loads.
import 'reflect-metadata';
export * from './config';
export * from './errors';
export * from './grpc';
export * from './health';
export * from './logging';
export * from './metrics';
export * from './tracing';
export * from './tokens';
export * from './database';
export * from './pagination';
export * from './validation';
export * from './jobs';
export * from './service-kit.module';
export * from './service-definition';
export * from './bootstrap';
