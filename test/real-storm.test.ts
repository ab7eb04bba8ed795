import { describe, expect, it } from 'vitest';
import { sweepSurfaces } from '../bench/report/curves.js';
import type { ResultRow } from '../bench/report/metrics.js';
import type { RunResult } from '../bench/report/results.js';
import { cpuLeftForStarts } from '../engines/model/storm-plan.js';
import {
  type CpuSnapshot,
  cpuUsage,
  describeUsage,
  parseHostTicks,
  saturatedResource,
} from '../engines/real/host/cpu-usage.js';
import { parseRollup, parseStat } from '../engines/real/host/procfs.js';
import {
  defaultMemoryFloorMiB,
  densityCurveSamples,
  describeStop,
  limitOfFailure,
  nextBatchSize,
  stopAfterBatch,
} from '../engines/real/measure/density-curve.js';
import { stormOverBudget, stormRounds, stormSamples } from '../engines/real/measure/storm.js';

describe('host CPU accounting from /proc', () => {
  it('reads the aggregate cpu line of /proc/stat', () => {
    const stat = 'cpu  100 5 40 800 50 3 2 0 0 0\ncpu0 50 2 20 400 25 1 1 0 0 0\n';
    // busy = user 100 + nice 5 + system 40 + irq 3 + softirq 2 + steal 0
    expect(parseHostTicks(stat)).toEqual({ busy: 150, iowait: 50, total: 1000 });
  });

  it('reads a process name with spaces and parentheses, its own and its children’s ticks', () => {
    const line = '42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 20 10 20 0 1 0 5000 1000 10';
    expect(parseStat(line)).toEqual({
      pid: 42,
      ppid: 1,
      comm: 'my (odd) name',
      ticks: 10,
      childTicks: 30,
      startTicks: 5000,
    });
  });

  const snapshot = (
    at: number,
    host: CpuSnapshot['host'],
    processes: [number, string, number, number, number][],
  ): CpuSnapshot => ({
    at,
    host,
    processes: new Map(
      processes.map(([pid, comm, own, child, start]) => [
        pid,
        { comm, ticks: own, childTicks: child, startTicks: start },
      ]),
    ),
  });

  it('charges reaped children unless they ran longer than the interval could hold', () => {
    const before = snapshot(0, { busy: 0, iowait: 0, total: 0 }, [
      [1, 'dockerd', 100, 0, 10],
      [2, 'bash', 0, 0, 20],
      [3, 'gone', 0, 0, 30],
      [4, 'reused', 0, 0, 40],
    ]);
    const after = snapshot(2000, { busy: 360, iowait: 20, total: 400 }, [
      [1, 'dockerd', 250, 40, 10], // 1.5 s own + 0.4 s of children over 2 s: 0.95 cores
      [2, 'bash', 10, 100_000, 20], // a child of 1,000 s cannot have run in 2 s on 2 threads: own time only
      [4, 'reused', 50, 0, 99], // another process under a reused pid: not compared
      [5, 'new', 50, 0, 50], // not alive at the start: not compared
    ]);
    const usage = cpuUsage(before, after, 2);
    expect(usage.wallSeconds).toBe(2);
    expect(usage.busyShare).toBe(0.9);
    expect(usage.iowaitShare).toBe(0.05);
    expect(usage.topProcesses).toEqual([
      { comm: 'dockerd', cores: 0.95, busiestProcessCores: 0.95 },
      { comm: 'bash', cores: 0.05, busiestProcessCores: 0.05 },
    ]);
    expect(saturatedResource(usage)).toEqual({ resource: 'cpu', busyShare: 0.9 });
    expect(describeUsage(usage)).toBe('cpu saturated (90% busy); cores by process: dockerd 0.95, bash 0.05');
  });

  it('names the disk, then a single busy process, then nothing', () => {
    const base = { wallSeconds: 1, topProcesses: [{ comm: 'dockerd', cores: 0.9, busiestProcessCores: 0.85 }] };
    expect(saturatedResource({ ...base, busyShare: 0.5, iowaitShare: 0.3 }).resource).toBe('disk');
    expect(saturatedResource({ ...base, busyShare: 0.5, iowaitShare: 0.1 })).toEqual({
      resource: 'process',
      comm: 'dockerd',
      cores: 0.85,
    });
    expect(saturatedResource({ wallSeconds: 1, busyShare: 0.5, iowaitShare: 0.1, topProcesses: [] }).resource).toBe(
      'none',
    );
  });
});

describe('real boot storms', () => {
  it('refuses a storm the memory budget cannot hold, and says what it would need', () => {
    expect(stormOverBudget({ instances: 8, running: 2, capacity: 10, budgetMiB: 1000 }, 100)).toBeUndefined();
    expect(stormOverBudget({ instances: 8, running: 3, capacity: 10, budgetMiB: 1000 }, 100)).toBe(
      'a storm of 8 with 3 already running needs about 1100 MiB (100 MiB each), over the 1000 MiB memory budget ' +
        '(real.densityMemoryBudgetMiB; default 25% of MemAvailable, at most 4 GiB)',
    );
  });

  it('repeats small storms until they have enough start latencies', () => {
    expect(stormRounds(1, 6)).toBe(5);
    expect(stormRounds(2, 6)).toBe(3);
    expect(stormRounds(4, 6)).toBe(2);
    expect(stormRounds(16, 6)).toBe(1);
  });

  it('reports the figures the simulation reports', () => {
    const outcome = stormSamples(
      [
        { latenciesMs: [100, 200], allReadyMs: 250, saturation: 'cpu saturated (95% busy)', saturatedResource: 'cpu' },
        { latenciesMs: [300, 400], allReadyMs: 500, saturation: 'none saturated', saturatedResource: 'none' },
      ],
      2,
    );
    expect(outcome.samples).toEqual({
      boot_storm: [250, 500],
      'boot_storm.p50': [250],
      'boot_storm.p99': [397],
      'boot_storm.rate': [8, 4],
      'boot_storm.rate_per_core': [4, 2],
    });
    expect(outcome.details).toEqual({ boot_storm: 'none saturated' });
  });
});

describe('the simulation with instances already running', () => {
  it('leaves the starts what the running load does not use, and a fair share when it uses it all', () => {
    expect(cpuLeftForStarts(2, 0, 8)).toBe(2);
    // A host with room: the starts get what the running load leaves.
    expect(cpuLeftForStarts(4, 0.5, 2)).toBe(3.5);
    // A contended host: 8 starts and half a thread of running load share 2 threads fairly.
    expect(cpuLeftForStarts(2, 0.5, 8)).toBeCloseTo(16 / 8.5, 12);
    // 10 instances keeping 0.3 cores busy each on 2 threads: 4 starts get 2 x 4 / (4 + 3).
    expect(cpuLeftForStarts(2, 3, 4)).toBeCloseTo(8 / 7, 12);
  });
});

describe('surfaces', () => {
  const row = (engine: string, driver: 'model' | 'real', running: number, instances: number, p50: number): ResultRow =>
    ({
      engine,
      driver,
      metric: 'boot_storm.p50',
      params: { 'storm.running': running, 'storm.instances': instances },
      p50,
    }) as unknown as ResultRow;

  it('grids a metric over instances started and instances running, per engine and driver', () => {
    const result = {
      sweepParameters: ['storm.instances', 'storm.running'],
      engines: [
        { id: 'runc', driver: 'model' },
        { id: 'runc', driver: 'real' },
      ],
      rows: [
        row('runc', 'model', 0, 1, 70),
        row('runc', 'model', 0, 4, 100),
        row('runc', 'model', 10, 1, 71),
        row('runc', 'model', 10, 4, 101),
        row('runc', 'real', 0, 1, 90),
        row('runc', 'real', 0, 4, 150),
        row('runc', 'real', 10, 1, 95),
      ],
    } as unknown as RunResult;
    const [p50] = sweepSurfaces(result, ['boot_storm.p50']);
    expect(p50).toMatchObject({
      rowParameter: 'storm.running',
      columnParameter: 'storm.instances',
      rowValues: [0, 10],
      columnValues: [1, 4],
      engines: [
        {
          engine: 'runc',
          values: [
            [70, 100],
            [71, 101],
          ],
        },
        {
          engine: 'runc (real)',
          values: [
            [90, 150],
            [95, undefined],
          ],
        },
      ],
    });
  });
});

describe('density to failure', () => {
  const settings = { budgetMiB: 1000, floorMiB: 2048, limit: 100, batch: 4 };
  const point = (instances: number, pssMiB: number, memAvailableMiB = 20_000, batchStartMs = 100) => ({
    instances,
    pssMiB,
    privateMiB: pssMiB / 2,
    sharedMiB: pssMiB / 2,
    memAvailableMiB,
    batchStartMs,
  });

  it('stops at the first condition the host meets, the MemAvailable floor first', () => {
    expect(stopAfterBatch(point(8, 10), settings, 1000)).toBeUndefined();
    expect(stopAfterBatch(point(8, 10, 2000), settings, 1000)).toEqual({
      kind: 'memory-floor',
      availableMiB: 2000,
      floorMiB: 2048,
    });
    expect(stopAfterBatch(point(8, 125), settings, 1000)).toEqual({
      kind: 'memory-budget',
      usedMiB: 1000,
      budgetMiB: 1000,
    });
    expect(stopAfterBatch(point(8, 10, 20_000, 1500), settings, 1000)).toEqual({
      kind: 'latency-ceiling',
      latencyMs: 1500,
      ceilingMs: 1000,
    });
    expect(stopAfterBatch(point(100, 1), settings, 1000)).toEqual({ kind: 'instance-limit', limit: 100 });
  });

  it('sizes the next batch to end near the budget and never past the limit', () => {
    expect(nextBatchSize([], settings, 100)).toBe(4);
    // 8 instances at 120 MiB hold 960 of 1000 MiB: no room for a whole one, but a batch is at least one.
    expect(nextBatchSize([point(8, 120)], settings, 100)).toBe(1);
    expect(nextBatchSize([point(6, 100)], settings, 100)).toBe(4);
    expect(nextBatchSize([point(98, 1)], settings, 100)).toBe(2);
  });

  it('names the limit a failed start ran into', () => {
    expect(limitOfFailure('fork/exec /usr/bin/runc: resource temporarily unavailable')).toBe('pids limit');
    expect(limitOfFailure('open /proc/self/fd: too many open files')).toBe('open-file limit');
    expect(
      limitOfFailure('write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: device or resource busy (cgroup)'),
    ).toBe('cgroup limit');
    expect(limitOfFailure('exited with 1')).toBe('error');
  });

  it('separates private pages from the share of shared ones', () => {
    const rollup = 'Rss: 1688 kB\nPss: 156 kB\nShared_Clean: 1576 kB\nPrivate_Clean: 4 kB\nPrivate_Dirty: 112 kB\n';
    expect(parseRollup(rollup)).toEqual({ pssKiB: 156, privateKiB: 116 });
  });

  it('keeps a floor of at least 1 GiB', () => {
    expect(defaultMemoryFloorMiB(4096)).toBe(1024);
    expect(defaultMemoryFloorMiB(24_000)).toBe(2400);
  });

  it('reports the curve one sample per batch, and what stopped it', () => {
    const { samples, details } = densityCurveSamples({
      points: [point(4, 10), point(8, 9)],
      stop: { kind: 'instance-limit', limit: 8 },
      memAvailableBeforeMiB: 20_000,
    });
    expect(samples).toEqual({
      density_curve: [8],
      'density_curve.instances': [4, 8],
      'density_curve.pss_per_instance': [10, 9],
      'density_curve.private_per_instance': [5, 4.5],
      'density_curve.shared_per_instance': [5, 4.5],
      'density_curve.mem_available': [20_000, 20_000],
      'density_curve.start_latency': [100, 100],
    });
    expect(details).toEqual({ density_curve: 'stopped by instance limit reached (8; real.densityLimit)' });
    expect(describeStop({ kind: 'start-failed', limit: 'pids limit', message: 'EAGAIN' })).toBe(
      'a start failed (pids limit): EAGAIN',
    );
  });
});
