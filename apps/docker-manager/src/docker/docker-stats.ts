import type { ContainerStats } from '../containers/container-backend';

/** The parts of the engine's stats JSON (GET /containers/{id}/stats) that are read. */
export interface EngineStats {
  read?: string;
  pids_stats?: { current?: number };
  cpu_stats?: EngineCpu;
  precpu_stats?: EngineCpu;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
}

interface EngineCpu {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/**
 * CPU % as `docker stats` computes it: the container's CPU time between two samples over the
 * host's, times the CPUs online (so 250 = two and a half cores busy). 0 when either sample is
 * missing (a stopped container, or the first sample of a stream).
 */
export function cpuPercent(cur: EngineCpu | undefined, prev: EngineCpu | undefined): number {
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (prev?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur?.system_cpu_usage ?? 0) - (prev?.system_cpu_usage ?? 0);
  if (!prev?.system_cpu_usage || cpuDelta <= 0 || systemDelta <= 0) return 0;
  const cpus = onlineCpus(cur);
  return Math.round((cpuDelta / systemDelta) * cpus * 100 * 100) / 100;
}

function onlineCpus(cpu: EngineCpu | undefined): number {
  return cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
}

/** Memory in use less the page cache, as `docker stats` shows it (cgroup v2: inactive_file; v1: total_inactive_file). */
export function memoryUsage(mem: EngineStats['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const s = mem?.stats ?? {};
  const cache = s.inactive_file ?? s.total_inactive_file ?? 0;
  return cache < usage ? usage - cache : usage;
}

export function toContainerStats(id: string, raw: EngineStats): ContainerStats {
  const memoryUsageBytes = memoryUsage(raw.memory_stats);
  const memoryLimitBytes = raw.memory_stats?.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const net of Object.values(raw.networks ?? {})) {
    rx += net.rx_bytes ?? 0;
    tx += net.tx_bytes ?? 0;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const entry of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = (entry.op ?? '').toLowerCase();
    if (op === 'read') blockRead += entry.value ?? 0;
    if (op === 'write') blockWrite += entry.value ?? 0;
  }
  const readAt = raw.read && !raw.read.startsWith('0001-') ? new Date(raw.read).toISOString() : new Date().toISOString();
  return {
    id,
    readAt,
    cpuPercent: cpuPercent(raw.cpu_stats, raw.precpu_stats),
    onlineCpus: raw.cpu_stats?.system_cpu_usage ? onlineCpus(raw.cpu_stats) : 0,
    memoryUsageBytes: String(memoryUsageBytes),
    memoryLimitBytes: String(memoryLimitBytes),
    memoryPercent: memoryLimitBytes > 0 ? Math.round((memoryUsageBytes / memoryLimitBytes) * 100 * 100) / 100 : 0,
    networkRxBytes: String(rx),
    networkTxBytes: String(tx),
    blockReadBytes: String(blockRead),
    blockWriteBytes: String(blockWrite),
    pids: raw.pids_stats?.current ?? 0,
  };
}
