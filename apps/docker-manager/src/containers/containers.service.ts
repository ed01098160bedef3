import { Inject, Injectable, Logger } from '@nestjs/common';
import { ContainerActionAuditedEvent, ContainerRestartedEvent, ContainerStartedEvent, ContainerStoppedEvent, type dockerManagerV1 } from '@aether/contracts';
import type { Principal } from '@aether/auth';
import { EventPublisher } from '@aether/messaging';
import { decodeCursor, DomainError, encodeCursor, MetricsService, NotFoundError, pageLimit, Violations } from '@aether/service-kit';
import { Gauge } from 'prom-client';
import { DockerManagerEnv } from '../config/docker-manager.env';
import { type ActionOutcome, type Container, CONTAINER_BACKEND, type ContainerBackend, type LogLine, type LogQuery } from './container-backend';
import { ApiChanges } from './api-changes';
import { CONTAINER_REF, LABEL_FILTER } from './label-selector';

export type ContainerAction = 'start' | 'stop' | 'restart';

const STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const LIST_SORT = 'name';
const MAX_LABEL_FILTERS = 10;
const MAX_TAIL = 100_000;

/** Who asked, for the audit. */
export interface Actor {
  principal: Principal;
  ip?: string;
}

/**
 * The containers use cases over the configured backend: input rules, the uniform 404, pages,
 * and the audit + events of every action.
 */
@Injectable()
export class ContainersService {
  private readonly logger = new Logger('ContainerAudit');
  private readonly openStreams: Gauge<'kind'>;

  constructor(
    @Inject(CONTAINER_BACKEND) private readonly backend: ContainerBackend,
    private readonly publisher: EventPublisher,
    private readonly apiChanges: ApiChanges,
    private readonly env: DockerManagerEnv,
    metrics: MetricsService,
  ) {
    const name = 'docker_manager_open_streams';
    this.openStreams =
      (metrics.registry.getSingleMetric(name) as Gauge<'kind'> | undefined) ??
      new Gauge({ name, help: 'Followed logs and stats streams open to the engine', labelNames: ['kind'], registers: [metrics.registry] });
  }

  /** Counts the stream while it is open (a client that went must bring it back to 0). */
  private async *counted<T>(kind: 'logs' | 'stats', source: AsyncIterable<T>): AsyncIterable<T> {
    this.openStreams.inc({ kind });
    try {
      yield* source;
    } finally {
      this.openStreams.dec({ kind });
    }
  }

  async list(req: dockerManagerV1.ListContainersRequest): Promise<dockerManagerV1.ListContainersResponse> {
    const v = new Violations();
    const limit = pageLimit(req.page);
    if (req.status && !STATES.includes(req.status)) v.add('status', `must be one of ${STATES.join(', ')}`);
    if (req.labels.length > MAX_LABEL_FILTERS) v.add('label', `at most ${MAX_LABEL_FILTERS} label filters`);
    req.labels.forEach((l) => {
      if (!LABEL_FILTER.test(l)) v.add('label', 'must be key or key=value');
    });
    v.throwIfAny('Invalid container filter');
    const after = decodeCursor(req.page?.cursor, LIST_SORT, 2);
    const all = await this.backend.list({ status: req.status || undefined, labels: req.labels });
    const sorted = all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rest = after ? sorted.filter((c) => c.name > after[0] || (c.name === after[0] && c.id > after[1])) : sorted;
    const items = rest.slice(0, limit);
    const nextCursor = rest.length > limit ? encodeCursor({ s: LIST_SORT, k: [items[items.length - 1].name, items[items.length - 1].id] }) : '';
    return { items, nextCursor };
  }

  /** The container a client's reference names, or the one 404 for anything else. */
  async get(ref: string): Promise<Container> {
    if (!CONTAINER_REF.test(ref)) throw notFound();
    const container = await this.backend.find(ref);
    if (!container) throw notFound();
    return container;
  }

  /** start | stop | restart, audited (log line + event) whatever comes of it; answers the container afterwards. */
  async act(actor: Actor, action: ContainerAction, ref: string, timeoutSeconds?: number): Promise<Container> {
    const started = Date.now();
    if (timeoutSeconds !== undefined && (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0 || timeoutSeconds > 3600)) {
      const v = new Violations();
      v.add('timeoutSeconds', 'must be between 0 and 3600');
      v.throwIfAny();
    }
    // Only actions on containers that exist for the API are audited: an audit entry about an
    // unknown id would tell admins (and the event stream) what a probe tried, not what happened.
    const target = await this.get(ref);
    let outcome: ActionOutcome | 'failed' = 'failed';
    let errorCode = '';
    this.apiChanges.begin(target.id);
    try {
      outcome =
        action === 'start'
          ? await this.backend.start(target.id)
          : action === 'stop'
            ? await this.backend.stop(target.id, timeoutSeconds)
            : await this.backend.restart(target.id, timeoutSeconds);
      const after = (await this.backend.find(target.id)) ?? target;
      if (outcome === 'changed') await this.publishChange(actor, action, after);
      return after;
    } catch (err) {
      errorCode = err instanceof DomainError ? err.code : 'INTERNAL';
      throw err;
    } finally {
      this.apiChanges.end(target.id);
      await this.audit(actor, action, target, outcome, errorCode, timeoutSeconds, Date.now() - started);
    }
  }

  async *logs(ref: string, query: Partial<LogQuery> & { follow: boolean }, signal: AbortSignal): AsyncIterable<LogLine> {
    const v = new Violations();
    if (query.tail !== undefined && (!Number.isInteger(query.tail) || query.tail < 0 || query.tail > MAX_TAIL)) v.add('tail', `must be between 0 and ${MAX_TAIL}`);
    if (query.stdout === false && query.stderr === false) v.add('stdout', 'stdout and stderr cannot both be false');
    v.throwIfAny('Invalid log query');
    const container = await this.get(ref);
    const lines = this.backend.logs(
      container.id,
      { follow: query.follow, tail: query.tail, since: query.since, timestamps: query.timestamps ?? false, stdout: query.stdout ?? true, stderr: query.stderr ?? true },
      signal,
    );
    yield* query.follow ? this.counted('logs', lines) : lines;
  }

  async stats(ref: string): Promise<dockerManagerV1.ContainerStats> {
    return this.backend.stats((await this.get(ref)).id);
  }

  async *statsStream(ref: string, signal: AbortSignal): AsyncIterable<dockerManagerV1.ContainerStats> {
    const container = await this.get(ref);
    yield* this.counted('stats', this.backend.statsStream(container.id, this.env.STATS_STREAM_INTERVAL_MS, signal));
  }

  private async publishChange(actor: Actor, action: ContainerAction, container: Container): Promise<void> {
    const data = { container, origin: 'api' };
    const opts = { subject: actor.principal.userId };
    try {
      if (action === 'start') await this.publisher.publish(ContainerStartedEvent, data, opts);
      else if (action === 'stop') await this.publisher.publish(ContainerStoppedEvent, data, opts);
      else await this.publisher.publish(ContainerRestartedEvent, data, opts);
    } catch (err) {
      // The change happened; the caller gets its answer. The audit log line below still records it.
      this.logger.error({ err: (err as Error).message, containerId: container.id, action }, 'container event not published');
    }
  }

  private async audit(
    actor: Actor,
    action: ContainerAction,
    target: Container,
    outcome: ActionOutcome | 'failed',
    errorCode: string,
    timeoutSeconds: number | undefined,
    durationMs: number,
  ): Promise<void> {
    const record = {
      audit: 'container.action',
      userId: actor.principal.userId,
      email: actor.principal.email,
      ...(actor.principal.apiKeyId ? { apiKeyId: actor.principal.apiKeyId } : {}),
      ...(actor.ip ? { ip: actor.ip } : {}),
      action,
      containerId: target.id,
      containerName: target.name,
      outcome,
      ...(errorCode ? { errorCode } : {}),
      durationMs,
    };
    this.logger.log(record, `container ${action} by ${actor.principal.userId}: ${outcome}`);
    try {
      await this.publisher.publish(
        ContainerActionAuditedEvent,
        { containerId: target.id, containerName: target.name, action, outcome, errorCode, timeoutSeconds, durationMs },
        { subject: actor.principal.userId },
      );
    } catch (err) {
      this.logger.error({ ...record, err: (err as Error).message }, 'container audit event not published');
    }
  }
}

const notFound = () => new NotFoundError('Container not found');
