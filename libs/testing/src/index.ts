export * from './temp-stores';
export * from './service-process';
