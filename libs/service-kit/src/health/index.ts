export * from './readiness';
export * from './lifecycle-state';
export * from './health.controller';
