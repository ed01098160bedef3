export * from './temp-stores';
export * from './service-process';
export * from './test-identities';
