import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../bench/scenario/load.js';
import { engineRequestPath, NATIVE_PATH, type RequestPathCosts, requestCapacity } from '../engines/model/capacity.js';
import type { ModeledEngineSpec } from '../engines/model/params.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { predict } from '../engines/modeled/define.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import type { Cell, Workload } from '../engines/types.js';
import { httpKeepalive, kvGet, sysbenchCpu } from '../engines/workloads.js';
import { runCli, seedCell, withTempDir } from './helpers.js';

async function modeledSpecs(): Promise<ModeledEngineSpec[]> {
  const engines = await Promise.all(engineIds('model').map((id) => loadEngine(id, 'model')));
  return engines.filter((e): e is ModeledEngine => e.driver === 'model' && 'spec' in e).map((e) => e.spec);
}

const withClients = (cell: Cell, workload: Workload, clients: number): Cell => ({
  ...cell,
  workload: { ...workload, clients },
});

/** A bulk transfer: a 1 MiB response per request, which the link binds. */
const bulkTransfer: Workload = {
  ...kvGet.workload,
  name: 'bulk-get',
  responseBytes: 1 << 20,
  serverCpuUs: 20,
  serverThreads: 8,
};

describe('capacity of a service: the three bounds on a hand-computed example', () => {
  // 50 µs round trips on 10 GbE (1250 bytes/µs); 2 server threads; 10 µs of CPU per request;
  // a 100-byte request and a response of two full segments; 3 system calls, one cache-missing
  // access and one round trip per request.
  const costs: RequestPathCosts = {
    cpuFraction: 0.1,
    syscallExtraNs: 1000,
    randomAccessExtraNs: 100,
    packetUs: 2,
    roundTripExtraUs: 10,
  };
  const example = async (clients: number): Promise<Cell> => {
    const base = await seedCell('native');
    return {
      ...base,
      hardware: { ...base.hardware, network: { gbits: 10, rttUs: 50 } },
      workload: {
        ...base.workload,
        name: 'example',
        syscallsM: 0.003,
        randomAccessesM: 0.001,
        roundTripsK: 1,
        operations: 1000,
        clients,
        serverThreads: 2,
        serverCpuUs: 10,
        requestBytes: 100,
        responseBytes: 2 * 1448,
      },
    };
  };

  it('counts packets and prices every part of one request', async () => {
    const c = requestCapacity(await example(1), costs);
    expect([c.requestSegments, c.responseSegments, c.packets]).toEqual([1, 2, 3]);
    // 10 µs x 1.1 + (3 x 1000 ns + 1 x 100 ns)
    expect(c.serviceUs).toBeCloseTo(14.1, 12);
    expect(c.pathUs).toBeCloseTo(6, 12);
    // One round trip (50 + 10 µs), then the larger of the wire time of 190 + 3076 bytes at
    // 1250 bytes/µs (2.6128 µs) and the path cost of the one segment beyond a packet each way (2 µs).
    expect(c.networkUs).toBeCloseTo(62.6128, 12);
    expect(c.noLoadUs).toBeCloseTo(76.7128, 12);
  });

  it('one client is bound by the round trip', async () => {
    const c = requestCapacity(await example(1), costs);
    expect(c.bounds.latency).toBeCloseTo(1e6 / 76.7128, 6);
    expect(c.bounds['server CPU']).toBeCloseTo(2e6 / 20.1, 6);
    expect(c.bounds['network path']).toBeCloseTo(1e6 / 6, 6);
    expect(c.bounds.link).toBeCloseTo(1250e6 / 3076, 6);
    expect(c.binding).toBe('latency');
    expect(c.throughput).toBeCloseTo(13035.634, 2);
    expect(c.medianUs).toBeCloseTo(76.7128, 9);
    expect(c.p99Us).toBeCloseTo(76.7128, 9);
  });

  it('a hundred clients are bound by the server CPU, and wait in its queue', async () => {
    const c = requestCapacity(await example(100), costs);
    expect(c.binding).toBe('server CPU');
    expect(c.throughput).toBeCloseTo(99502.49, 2);
    // Little's law: 100 clients / 99502.49 per second = 1005 µs; the wait is that less the no-load 76.7128 µs.
    expect(c.meanUs).toBeCloseTo(1005, 9);
    expect(c.medianUs).toBeCloseTo(76.7128 + Math.LN2 * 928.2872, 9);
    expect(c.p99Us).toBeCloseTo(76.7128 + Math.log(100) * 928.2872, 9);
  });

  it('a 1 Gbit/s link binds the two-segment responses first', async () => {
    const cell = await example(1000);
    const slow = { ...cell, hardware: { ...cell.hardware, network: { gbits: 1, rttUs: 50 } } };
    const c = requestCapacity(slow, NATIVE_PATH);
    expect(c.binding).toBe('link');
    expect(c.throughput).toBeCloseTo(125e6 / 3076, 6);
  });
});

describe('capacity properties', () => {
  it('throughput never falls as clients grow, and stays under the server CPU and link bounds', async () => {
    const specs = await modeledSpecs();
    const base = await seedCell('docker');
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.constantFrom(kvGet.workload, httpKeepalive.workload, bulkTransfer),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        (spec, workload, clients, more) => {
          const fewer = requestCapacity(withClients(base, workload, clients), engineRequestPath(spec, base));
          const many = requestCapacity(withClients(base, workload, clients + more), engineRequestPath(spec, base));
          expect(many.throughput).toBeGreaterThanOrEqual(fewer.throughput);
          for (const c of [fewer, many]) {
            expect(c.throughput).toBeLessThanOrEqual(c.bounds['server CPU']);
            expect(c.throughput).toBeLessThanOrEqual(c.bounds.link);
            expect(c.throughput).toBeLessThanOrEqual(c.bounds['network path']);
          }
        },
      ),
    );
  });

  it('latency is never below the no-load round trip, nor the p99 below the median', async () => {
    const specs = await modeledSpecs();
    const base = await seedCell('kvm');
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.constantFrom(kvGet.workload, httpKeepalive.workload, bulkTransfer),
        fc.integer({ min: 1, max: 5000 }),
        (spec, workload, clients) => {
          const cell = withClients(base, workload, clients);
          const c = requestCapacity(cell, engineRequestPath(spec, cell));
          const alone = requestCapacity(withClients(base, workload, 1), engineRequestPath(spec, cell));
          expect(c.medianUs).toBeGreaterThanOrEqual(alone.noLoadUs - 1e-9);
          expect(c.meanUs).toBeGreaterThanOrEqual(alone.noLoadUs - 1e-9);
          expect(c.p99Us).toBeGreaterThanOrEqual(c.medianUs);
        },
      ),
    );
  });

  it("a per-packet cost moves small-request throughput and leaves a link-bound bulk transfer's alone", async () => {
    const docker = ((await loadEngine('docker')) as ModeledEngine).spec;
    const base = await seedCell('docker');
    const at = (workload: Workload, packetUs: number): number => {
      const cell = withClients(base, workload, 256);
      return requestCapacity(cell, { ...engineRequestPath(docker, cell), packetUs }).throughput;
    };
    // Below this cost per packet the engine's path moves a full segment faster than the link does.
    const linkSegmentUs = 1538 / ((base.hardware.network.gbits * 1e3) / 8);
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: linkSegmentUs / 2, noNaN: true }),
        fc.double({ min: 0.2, max: linkSegmentUs / 2, noNaN: true }),
        (packetUs, raise) => {
          const small = at(kvGet.workload, packetUs);
          expect(at(kvGet.workload, packetUs + raise)).toBeLessThan(small * 0.99);
          const bulk = at(bulkTransfer, packetUs);
          expect(Math.abs(at(bulkTransfer, packetUs + raise) / bulk - 1)).toBeLessThan(0.01);
        },
      ),
    );
  });
});

describe('absolute metrics of the modeled engines', () => {
  it('report throughput, median and p99 latency, and name the operation', async () => {
    const firecracker = ((await loadEngine('firecracker')) as ModeledEngine).spec;
    const cell = withClients(await seedCell('firecracker'), kvGet.workload, 50);
    const m = predict(firecracker, cell);
    if (m.state !== 'measured') throw new Error('firecracker is unsuitable on the seed host');
    expect(m.samples.throughput).toHaveLength(cell.repetitions);
    expect(m.details?.throughput).toBe('GET requests');
    expect(m.details?.latency).toMatch(/binds$/);
    const capacity = requestCapacity(cell, engineRequestPath(firecracker, cell));
    const median = [...m.samples.throughput!].sort((a, b) => a - b)[Math.floor(cell.repetitions / 2)]!;
    expect(median / capacity.throughput).toBeGreaterThan(0.95);
    expect(median / capacity.throughput).toBeLessThan(1.05);
  });

  it('a benchmark that names its operation reports its rate: sysbench cpu events per second', async () => {
    const native = ((await loadEngine('native')) as ModeledEngine).spec;
    const base = await seedCell('native');
    const cell: Cell = { ...base, repetitions: 1, workload: sysbenchCpu.workload };
    const m = predict({ ...native, noise: { ...native.noise, runCov: { ...native.noise.runCov, value: 0 } } }, cell);
    if (m.state !== 'measured') throw new Error('native is unsuitable');
    // One thread at 2.4 GHz, 2.2/103.6 Gcycles per event (gvisor-sysbench-cpu-runc): 113.0 events/s.
    expect(m.samples.throughput![0]).toBeCloseTo((103.6 * 2.4) / 2.2, 9);
    expect(m.samples.latency![0]).toBeCloseTo((1e6 * 2.2) / (103.6 * 2.4), 6);
    expect(m.samples['latency.p99']![0]).toBeCloseTo(m.samples.latency![0]!, 9);
    expect(m.details?.throughput).toBe('events (prime-number loops)');
  });
});

describe('scenario fields of a service', () => {
  it('sweeps clients of a named service, and locates a bad value', async () => {
    await withTempDir(async (dir) => {
      const good = join(dir, 'good.yaml');
      await writeFile(
        good,
        'hardware: felter2015-x3650m4\nworkload: kv-get\nengines: [native]\nsweep:\n  workload.clients: [1, 50]\n',
      );
      const scenario = await loadScenario(good);
      expect(scenario.workload.clients).toBe(1);
      const bad = join(dir, 'bad.yaml');
      await writeFile(
        bad,
        'hardware: felter2015-x3650m4\nworkload:\n  name: svc\n  clients: 0\n  serverCpuUs: -3\nengines: [native]\n',
      );
      const run = await runCli(['run', bad, '--out', dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${bad}:4:12: workload.clients:`);
      expect(run.stderr).toContain(`${bad}:5:16: workload.serverCpuUs:`);
    });
  });
});
