import type { dockerManagerV1 } from '@aether/contracts';
import { orNull } from '../http/pagination';
import type { ContainerDetailDto, ContainerDto, LogLineDto, StatsDto } from './containers.dto';

export function toContainer(c: dockerManagerV1.Container): ContainerDto {
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    state: c.state,
    status: c.status,
    labels: { ...c.labels },
    createdAt: orNull(c.createdAt),
    startedAt: orNull(c.startedAt),
  };
}

export function toContainerDetail(c: dockerManagerV1.Container): ContainerDetailDto {
  return {
    ...toContainer(c),
    ports: (c.ports ?? []).map((p) => ({ privatePort: p.privatePort, publicPort: p.publicPort || null, protocol: p.protocol, ip: orNull(p.ip) })),
    mounts: (c.mounts ?? []).map((m) => ({ type: m.type, name: orNull(m.name), destination: m.destination, readOnly: m.readOnly })),
    restartCount: c.restartCount,
    health: orNull(c.health),
    finishedAt: orNull(c.finishedAt),
    exitCode: c.state === 'exited' || c.state === 'dead' ? c.exitCode : null,
  };
}

export function toLogLine(chunk: dockerManagerV1.LogChunk): LogLineDto {
  return chunk.timestamp ? { stream: chunk.stream, time: chunk.timestamp, text: chunk.text } : { stream: chunk.stream, text: chunk.text };
}

/** int64 counters arrive as strings; REST numbers are exact to 2^53 (8 PiB). */
export function toStats(s: dockerManagerV1.ContainerStats): StatsDto {
  return {
    cpuPercent: s.cpuPercent,
    memoryBytes: Number(s.memoryUsageBytes),
    memoryLimitBytes: Number(s.memoryLimitBytes),
    networkRxBytes: Number(s.networkRxBytes),
    networkTxBytes: Number(s.networkTxBytes),
    pids: s.pids,
    readAt: s.readAt,
  };
}
