import { cpuPercent, memoryUsage, toContainerStats } from './docker-stats';

describe('docker stats', () => {
  it('computes CPU % from the two samples as docker stats does (per CPU, times the CPUs online)', () => {
    // The container used 0.5 s of CPU while the host's 4 CPUs ran 4 s: half a core = 50 %.
    const prev = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 100_000_000_000, online_cpus: 4 };
    const cur = { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 104_000_000_000, online_cpus: 4 };
    expect(cpuPercent(cur, prev)).toBe(50);
    // Two and a half cores busy.
    expect(cpuPercent({ ...cur, cpu_usage: { total_usage: 3_500_000_000 } }, prev)).toBe(250);
  });

  it('answers 0 without a previous sample (a stopped container) instead of a division by zero', () => {
    expect(cpuPercent({ cpu_usage: { total_usage: 5 }, system_cpu_usage: 10 }, {})).toBe(0);
    expect(cpuPercent(undefined, undefined)).toBe(0);
  });

  it('leaves the page cache out of memory use (cgroup v2 and v1)', () => {
    expect(memoryUsage({ usage: 1000, stats: { inactive_file: 300 } })).toBe(700);
    expect(memoryUsage({ usage: 1000, stats: { total_inactive_file: 400 } })).toBe(600);
    expect(memoryUsage({ usage: 1000 })).toBe(1000);
  });

  it('adds up network and block counters as int64 strings', () => {
    const s = toContainerStats('abc', {
      read: '2030-01-31T17:00:00.5Z',
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
      blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 7 }, { op: 'Write', value: 9 }] },
      memory_stats: { usage: 50, limit: 200 },
      pids_stats: { current: 3 },
    });
    expect(s).toMatchObject({ id: 'abc', readAt: '2030-01-31T17:00:00.500Z', networkRxBytes: '11', networkTxBytes: '22', blockReadBytes: '7', blockWriteBytes: '9', memoryPercent: 25, pids: 3 });
  });
});
