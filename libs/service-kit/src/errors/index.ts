export * from './domain-errors';
export * from './status-details';
export * from './status-mapping';
