import type { dockerManagerV1 } from '@aether/contracts';

export type Container = dockerManagerV1.Container;
export type ContainerStats = dockerManagerV1.ContainerStats;

/** Injection token of the configured backend (CONTAINER_BACKEND). */
export const CONTAINER_BACKEND = Symbol('CONTAINER_BACKEND');

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  stream: LogStream;
  /** The line without its line break. */
  text: string;
  /** RFC 3339 time the engine recorded (when asked for). */
  time?: string;
}

export interface LogQuery {
  follow: boolean;
  /** Lines from the end to start with; undefined = all. */
  tail?: number;
  /** Only lines written at or after it. */
  since?: Date;
  timestamps: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface ListFilter {
  /** A Container.state value; undefined = every state. */
  status?: string;
  /** Extra label filters ("key" or "key=value"), all must match; the allow-list label is always added. */
  labels: string[];
}

/** What an action did: changed the state, or found it already as asked. */
export type ActionOutcome = 'changed' | 'unchanged';

/** A state change the engine reports by itself (not necessarily caused through this service). */
export type EngineEvent = (
  | { kind: 'started' | 'stopped' | 'restarted'; containerId: string; container: Container }
  | { kind: 'died'; containerId: string; container: Container; exitCode: number; oomKilled: boolean }
) & {
  /** Names this change the same way in every replica watching the engine (the event id comes from it). */
  key: string;
};

/**
 * One interface over the Docker engine and Kubernetes. Every method sees only allow-listed
 * containers; `find` is the one way from a client's reference (id, unique id prefix or name) to a
 * container, and answers undefined for anything else — whether it does not exist or is not
 * allow-listed, by the same path, so neither answers nor timings tell the two apart.
 * Methods taking `id` expect the full id `find` answered.
 */
export interface ContainerBackend {
  readonly kind: 'docker' | 'kubernetes';
  list(filter: ListFilter): Promise<Container[]>;
  find(ref: string): Promise<Container | undefined>;
  start(id: string): Promise<ActionOutcome>;
  stop(id: string, timeoutSeconds?: number): Promise<ActionOutcome>;
  restart(id: string, timeoutSeconds?: number): Promise<ActionOutcome>;
  /** Log lines; with follow it ends when the container stops or `signal` aborts. */
  logs(id: string, query: LogQuery, signal: AbortSignal): AsyncIterable<LogLine>;
  /** One sample; the CPU percentage from two engine samples. */
  stats(id: string): Promise<ContainerStats>;
  /** A sample per interval until the container stops or `signal` aborts. */
  statsStream(id: string, intervalMs: number, signal: AbortSignal): AsyncIterable<ContainerStats>;
  /** The engine's state changes of allow-listed containers; ends (or throws) when the connection drops. */
  events(signal: AbortSignal): AsyncIterable<EngineEvent>;
  /** Throws when the engine does not answer (readiness). */
  ping(): Promise<void>;
}
