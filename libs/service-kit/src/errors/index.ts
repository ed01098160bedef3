export * from './domain-errors';
export * from './status-mapping';
