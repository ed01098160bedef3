export * from './metrics.service';
export * from './grpc-metrics.interceptor';
export * from './metrics.controller';
