export * from './temp-stores';
export * from './service-process';
export * from './test-identities';
export * from './test-service';
export * from './private-servers';
export * from './validation-errors';
export * from './kube-control-plane';
