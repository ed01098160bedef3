export * from './grpc-exception.filter';
export * from './grpc-server';
export * from './grpc-clients.module';
export * from './grpc-dispatch';
