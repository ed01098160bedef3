import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { ConflictError, NotFoundError, UnavailableError } from '@aether/service-kit';
import type {
  ActionOutcome,
  Container,
  ContainerBackend,
  ContainerStats,
  EngineEvent,
  ListFilter,
  LogLine,
  LogQuery,
} from '../containers/container-backend';
import { type AllowListLabel, carriesLabel } from '../containers/label-selector';
import { type EngineStats, toContainerStats } from './docker-stats';
import { LogDecoder } from './log-frames';

/** The one answer for a container that is not there for the API (absent or not allow-listed). */
export const containerNotFound = () => new NotFoundError('Container not found');

/** DOCKER_HOST → dockerode options (unset: the local socket). */
export function dockerOptions(dockerHost: string | undefined, timeoutMs?: number): Docker.DockerOptions {
  const base: Docker.DockerOptions = timeoutMs ? { timeout: timeoutMs } : {};
  if (!dockerHost) return { ...base, socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { ...base, socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { ...base, protocol: url.protocol === 'https:' ? 'https' : 'http', host: url.hostname, port: url.port || (url.protocol === 'https:' ? 2376 : 2375) };
}

interface EngineError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** An engine failure as a domain error; never passes the engine's text (host paths, ids) on. */
export function engineError(err: unknown): Error {
  const e = (err ?? {}) as EngineError;
  if (e.statusCode === 404) return containerNotFound();
  if (e.statusCode === 409) return new ConflictError('CONTAINER_CONFLICT', 'The container cannot do that in its current state');
  return new UnavailableError('The container engine is unavailable');
}

const ZERO_TIME = /^0001-01-01/;
const isoOrEmpty = (t: string | undefined) => (t && !ZERO_TIME.test(t) ? new Date(t).toISOString() : '');

/** Docker's human state text (as `docker ps` shows it) from inspect data. */
export function statusText(state: Docker.ContainerInspectInfo['State'], now = Date.now()): string {
  const ago = (t: string) => humanDuration(now - new Date(t).getTime());
  switch (state.Status) {
    case 'running': {
      const health = state.Health?.Status && state.Health.Status !== 'none' ? ` (${state.Health.Status === 'starting' ? 'health: starting' : state.Health.Status})` : '';
      return `Up ${ago(state.StartedAt)}${state.Paused ? ' (Paused)' : health}`;
    }
    case 'paused':
      return `Up ${ago(state.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.ExitCode}) ${ago(state.FinishedAt)} ago`;
    case 'exited':
      return ZERO_TIME.test(state.FinishedAt) ? `Exited (${state.ExitCode})` : `Exited (${state.ExitCode}) ${ago(state.FinishedAt)} ago`;
    case 'created':
      return 'Created';
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return state.Status;
  }
}

function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  const d = Math.round(s / 86400);
  if (d < 14) return `${d} days`;
  if (d < 60) return `${Math.round(d / 7)} weeks`;
  if (d < 730) return `${Math.round(d / 30)} months`;
  return `${Math.round(d / 365)} years`;
}

/** The API's view of an inspected container: no environment, command, host paths or secrets. */
export function toContainer(info: Docker.ContainerInspectInfo, listed?: Docker.ContainerInfo): Container {
  const ports: Container['ports'] = listed
    ? listed.Ports.map((p) => ({ privatePort: p.PrivatePort, publicPort: p.PublicPort ?? 0, protocol: p.Type, ip: p.IP ?? '' }))
    : Object.entries(info.NetworkSettings?.Ports ?? {}).flatMap(([key, bindings]) => {
        const [port, protocol] = key.split('/');
        const list = bindings && bindings.length > 0 ? bindings : [undefined];
        return list.map((b) => ({ privatePort: Number(port), publicPort: b ? Number(b.HostPort) || 0 : 0, protocol: protocol ?? 'tcp', ip: b?.HostIp ?? '' }));
      });
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    state: info.State.Status,
    status: statusText(info.State),
    labels: { ...(info.Config.Labels ?? {}) },
    ports,
    createdAt: isoOrEmpty(info.Created),
    startedAt: isoOrEmpty(info.State.StartedAt),
    finishedAt: isoOrEmpty(info.State.FinishedAt),
    exitCode: info.State.ExitCode ?? 0,
    restartCount: info.RestartCount ?? 0,
    mounts: (info.Mounts ?? []).map((m) => ({
      type: m.Type ?? '',
      name: m.Type === 'volume' ? (m.Name ?? '') : '',
      destination: m.Destination,
      readOnly: m.RW === false,
    })),
    health: info.State.Health?.Status && info.State.Health.Status !== 'none' ? info.State.Health.Status : '',
  };
}

/** Beyond this many lines a one-stream tail reads the whole log. */
const MAX_TAIL_SCAN = 1_000_000;

/** Seconds since the epoch, with fractions, as the engine's `since` takes them. */
const engineTime = (d: Date) => (d.getTime() / 1000).toFixed(3);

/** The engine answered 304 Not Modified: already in the asked state. */
const notModified = (err: unknown) => (err as EngineError)?.statusCode === 304;

/** Containers through the Docker Engine API (dockerode), seen through the allow-list label. */
export class DockerBackend implements ContainerBackend {
  readonly kind = 'docker' as const;
  /** Calls with a deadline. */
  private readonly api: Docker;
  /** Long-lived streams (follow, stats, events): no idle timeout. */
  private readonly streams: Docker;

  constructor(
    private readonly label: AllowListLabel,
    dockerHost: string | undefined,
    timeoutMs: number,
  ) {
    this.api = new Docker(dockerOptions(dockerHost, timeoutMs));
    this.streams = new Docker(dockerOptions(dockerHost));
  }

  async ping(): Promise<void> {
    try {
      await this.api.ping();
    } catch (err) {
      throw engineError(err);
    }
  }

  /** Every allow-listed container, as the engine lists them (filtered by the engine, not here). */
  private async listed(filters: Record<string, string[]> = {}): Promise<Docker.ContainerInfo[]> {
    try {
      const items = await this.api.listContainers({ all: true, filters: { ...filters, label: [this.label.selector, ...(filters.label ?? [])] } });
      // The engine filtered by label already; checking again costs nothing and keeps the rule here.
      return items.filter((c) => carriesLabel(c.Labels, this.label));
    } catch (err) {
      throw engineError(err);
    }
  }

  private async inspect(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      const info = await this.api.getContainer(id).inspect();
      return carriesLabel(info.Config.Labels ?? {}, this.label) ? info : undefined;
    } catch (err) {
      if ((err as EngineError)?.statusCode === 404) return undefined;
      throw engineError(err);
    }
  }

  private async describe(id: string, listed?: Docker.ContainerInfo): Promise<Container | undefined> {
    const info = await this.inspect(id);
    return info ? toContainer(info, listed) : undefined;
  }

  async list(filter: ListFilter): Promise<Container[]> {
    const items = await this.listed({ ...(filter.status ? { status: [filter.status] } : {}), label: filter.labels });
    const described = await mapLimit(items, 8, (c) => this.describe(c.Id, c));
    return described.filter((c): c is Container => c !== undefined);
  }

  /**
   * Resolves a reference only among allow-listed containers (one engine list filtered by the
   * label), so a container outside the allow-list takes exactly the path of one that does not exist.
   */
  async find(ref: string): Promise<Container | undefined> {
    const items = await this.listed();
    const exact = items.find((c) => c.Id === ref || c.Names.some((n) => n.replace(/^\//, '') === ref));
    const byPrefix = exact ? [exact] : /^[0-9a-f]+$/.test(ref) ? items.filter((c) => c.Id.startsWith(ref)) : [];
    if (byPrefix.length !== 1) return undefined;
    return this.describe(byPrefix[0].Id, byPrefix[0]);
  }

  async start(id: string): Promise<ActionOutcome> {
    const info = await this.inspect(id);
    if (!info) throw containerNotFound();
    if (info.State.Running) return 'unchanged';
    try {
      await this.api.getContainer(id).start();
      return 'changed';
    } catch (err) {
      if (notModified(err)) return 'unchanged';
      throw engineError(err);
    }
  }

  async stop(id: string, timeoutSeconds?: number): Promise<ActionOutcome> {
    const info = await this.inspect(id);
    if (!info) throw containerNotFound();
    if (!info.State.Running && info.State.Status !== 'restarting') return 'unchanged';
    try {
      await this.api.getContainer(id).stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
      return 'changed';
    } catch (err) {
      if (notModified(err)) return 'unchanged';
      throw engineError(err);
    }
  }

  async restart(id: string, timeoutSeconds?: number): Promise<ActionOutcome> {
    const info = await this.inspect(id);
    if (!info) throw containerNotFound();
    try {
      await this.api.getContainer(id).restart(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
      return 'changed';
    } catch (err) {
      throw engineError(err);
    }
  }

  async *logs(id: string, query: LogQuery, signal: AbortSignal): AsyncIterable<LogLine> {
    const info = await this.inspect(id);
    if (!info) throw containerNotFound();
    const tty = info.Config.Tty === true;
    const decoder = new LogDecoder(tty, query.timestamps);
    const wanted = (l: LogLine) => (l.stream === 'stdout' ? query.stdout : query.stderr);
    const options = {
      stdout: tty ? true : query.stdout,
      stderr: tty ? true : query.stderr,
      timestamps: query.timestamps,
      ...(query.tail !== undefined ? { tail: query.tail } : {}),
      ...(query.since ? { since: engineTime(query.since) } : {}),
    };
    if (!query.follow) {
      yield* await this.readLogs(id, options, tty, query, wanted);
      return;
    }
    let stream: Readable;
    try {
      stream = (await this.streams.getContainer(id).logs({ ...options, follow: true })) as unknown as Readable;
    } catch (err) {
      throw engineError(err);
    }
    const stopReading = () => stream.destroy();
    signal.addEventListener('abort', stopReading, { once: true });
    try {
      for await (const chunk of stream) {
        for (const line of decoder.push(chunk as Buffer)) if (wanted(line)) yield line;
      }
      for (const line of decoder.flush()) if (wanted(line)) yield line;
    } catch (err) {
      if (!signal.aborted) throw engineError(err);
    } finally {
      signal.removeEventListener('abort', stopReading);
      stream.destroy();
    }
  }

  /**
   * A log read to its end. The engine counts `tail` over both streams before it leaves one out,
   * so when only one stream is wanted it is asked for more lines until the tail is full or the
   * whole log has been read.
   */
  private async readLogs(
    id: string,
    options: { tail?: number; stdout: boolean; stderr: boolean; timestamps: boolean; since?: string },
    tty: boolean,
    query: LogQuery,
    wanted: (l: LogLine) => boolean,
  ): Promise<LogLine[]> {
    const oneStream = !tty && query.stdout !== query.stderr;
    let ask = query.tail;
    for (;;) {
      let raw: Buffer;
      try {
        // Both streams when one is wanted: the engine's tail then counts what it sends.
        const streams = oneStream ? { stdout: true, stderr: true } : {};
        raw = (await this.api.getContainer(id).logs({ ...options, ...streams, ...(ask !== undefined ? { tail: ask } : {}), follow: false })) as unknown as Buffer;
      } catch (err) {
        throw engineError(err);
      }
      const decoder = new LogDecoder(tty, query.timestamps);
      const all = [...decoder.push(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))), ...decoder.flush()];
      const lines = all.filter(wanted);
      if (query.tail === undefined) return lines;
      if (ask === undefined || lines.length >= query.tail || all.length < ask) return lines.slice(Math.max(0, lines.length - query.tail));
      ask = ask * 4 > MAX_TAIL_SCAN ? undefined : ask * 4;
    }
  }

  async stats(id: string): Promise<ContainerStats> {
    const info = await this.inspect(id);
    if (!info) throw containerNotFound();
    try {
      // stream=false: the engine takes two samples (precpu_stats filled), so the CPU % is right.
      const raw = (await this.api.getContainer(id).stats({ stream: false })) as unknown as EngineStats;
      return toContainerStats(info.Id, raw);
    } catch (err) {
      throw engineError(err);
    }
  }

  async *statsStream(id: string, intervalMs: number, signal: AbortSignal): AsyncIterable<ContainerStats> {
    const info = await this.inspect(id);
    if (!info) throw containerNotFound();
    let stream: Readable;
    try {
      stream = (await this.streams.getContainer(id).stats({ stream: true })) as unknown as Readable;
    } catch (err) {
      throw engineError(err);
    }
    // Destroying the input alone does not end a readline iteration: close both.
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    const stopReading = () => {
      lines.close();
      stream.destroy();
    };
    signal.addEventListener('abort', stopReading, { once: true });
    stream.once('close', () => lines.close());
    let lastSent = 0;
    try {
      // The engine sends one JSON sample a second, each with the one before as precpu_stats.
      for await (const line of lines) {
        if (!line.trim()) continue;
        const raw = JSON.parse(line) as EngineStats;
        // A stopped container's samples carry no CPU counters: the stream is over.
        if (!raw.cpu_stats?.system_cpu_usage && lastSent > 0) break;
        if (Date.now() - lastSent + 50 < intervalMs) continue;
        lastSent = Date.now();
        yield toContainerStats(info.Id, raw);
      }
    } catch (err) {
      if (!signal.aborted) throw engineError(err);
    } finally {
      signal.removeEventListener('abort', stopReading);
      stream.destroy();
    }
  }

  /** Engine time (ns) of the last event read: a reconnect replays from there, so a drop loses nothing. */
  private lastEventNano?: number;
  /** Kept across reconnects: a stop's `kill, die` and its `stop` may arrive on two connections. */
  private readonly pairing = new EngineEventPairing();

  async *events(signal: AbortSignal): AsyncIterable<EngineEvent> {
    let stream: Readable;
    try {
      stream = (await this.streams.getEvents({
        // Replayed events get the ids they had (from the engine's own time), so consumers drop the repeats.
        // Just after the last one read (1 µs: the engine's `since` is inclusive).
        ...(this.lastEventNano ? { since: Number((this.lastEventNano / 1e9 + 1e-6).toFixed(6)) } : {}),
        filters: { type: ['container'], label: [this.label.selector], event: ['start', 'die', 'kill', 'stop', 'restart', 'oom'] },
      })) as unknown as Readable;
    } catch (err) {
      throw engineError(err);
    }
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    const stopReading = () => {
      lines.close();
      stream.destroy();
    };
    signal.addEventListener('abort', stopReading, { once: true });
    // A dropped connection ends the stream without 'end': close the reader so the loop ends and the watcher reconnects.
    stream.once('close', () => lines.close());
    const pairing = this.pairing;
    try {
      for await (const line of lines) {
        if (!line.trim()) continue;
        const raw = JSON.parse(line) as EngineEventMessage;
        if (raw.timeNano) this.lastEventNano = raw.timeNano;
        const id = raw.id ?? raw.Actor?.ID;
        if (!id || !carriesLabel(raw.Actor?.Attributes ?? {}, this.label)) continue;
        const kind = pairing.next(id, raw.Action ?? raw.status ?? '');
        if (!kind) continue;
        const container = (await this.describe(id).catch(() => undefined)) ?? containerFromEvent(id, raw);
        const key = `${id}:${raw.Action ?? raw.status}:${raw.timeNano ?? raw.time}`;
        if (kind === 'died') {
          const exitCode = Number(raw.Actor?.Attributes?.exitCode ?? container.exitCode) || 0;
          yield { kind, key, containerId: id, container, exitCode, oomKilled: pairing.takeOom(id) };
        } else {
          yield { kind, key, containerId: id, container };
        }
      }
    } finally {
      signal.removeEventListener('abort', stopReading);
      stream.destroy();
    }
    if (!signal.aborted) throw new UnavailableError('The engine closed its event stream');
  }
}

interface EngineEventMessage {
  id?: string;
  status?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** What little the event itself says, for a container gone before it could be inspected. */
function containerFromEvent(id: string, raw: EngineEventMessage): Container {
  const { name = '', image = '', exitCode, ...rest } = raw.Actor?.Attributes ?? {};
  return {
    id, name, image, state: '', status: '', labels: rest, ports: [], createdAt: '', startedAt: '', finishedAt: '',
    exitCode: Number(exitCode) || 0, restartCount: 0, mounts: [], health: '',
  };
}

const PAIRING_WINDOW_MS = 60_000;

/**
 * The engine reports `kill → die → stop` for a stop and `die` alone for a crash; `oom` precedes
 * the die of an OOM kill. This turns its actions into one state change each: a die after a kill
 * is a stop (its own `stop` then adds nothing), a die without one is a death.
 */
export class EngineEventPairing {
  private readonly killed = new Map<string, number>();
  private readonly stopped = new Map<string, number>();
  private readonly oom = new Set<string>();

  next(id: string, action: string, now = Date.now()): EngineEvent['kind'] | undefined {
    const recent = (m: Map<string, number>) => {
      const t = m.get(id);
      m.delete(id);
      return t !== undefined && now - t < PAIRING_WINDOW_MS;
    };
    switch (action) {
      case 'start':
        return 'started';
      case 'restart':
        return 'restarted';
      case 'oom':
        this.oom.add(id);
        return undefined;
      case 'kill':
        this.killed.set(id, now);
        return undefined;
      case 'die':
        if (recent(this.killed) && !this.oom.has(id)) {
          this.stopped.set(id, now);
          return 'stopped';
        }
        return 'died';
      case 'stop':
        return recent(this.stopped) ? undefined : 'stopped';
      default:
        return undefined;
    }
  }

  takeOom(id: string): boolean {
    return this.oom.delete(id);
  }
}

/** Maps with at most `limit` calls in flight, keeping order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
