export * from './text';
export * from './ids';
export * from './timestamps';
export * from './email';
export * from './violations';
