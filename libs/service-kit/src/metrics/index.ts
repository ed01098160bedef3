export * from './metrics.service';
export * from './grpc-metrics';
export * from './metrics.controller';
