export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');

export interface OutboxRelayOptions {
  /** Poll for unpublished rows this often (default 250); NOTIFY usually wakes the relay sooner. */
  pollIntervalMs?: number;
  /** Rows per transaction (default 100). */
  batchSize?: number;
  /** Wait after a failure, doubling up to maxBackoffMs (defaults 250 / 5000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Published rows are deleted after this long (default 24 h). */
  retentionMs?: number;
  /** How often old published rows are purged (default 60000). */
  cleanupIntervalMs?: number;
  /** LISTEN for the insert trigger's NOTIFY (default true). */
  listen?: boolean;
}

export interface OutboxModuleOptions extends OutboxRelayOptions {
  /** Run the relay in this process (default true; false e.g. in a one-off migration job). */
  relay?: boolean;
  /** Named TypeORM data source, when the app has several. */
  dataSource?: string;
}
