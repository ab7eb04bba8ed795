import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../bench/scenario/load.js';
import { engineRequestPath, requestCapacity } from '../engines/model/capacity.js';
import type { ModeledEngineSpec } from '../engines/model/params.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import { InputError } from '../engines/shared/errors.js';
import type { Cell, Workload } from '../engines/types.js';
import {
  APPLICATION_WORKLOADS,
  BUILTIN_WORKLOADS,
  findWorkload,
  kvGet,
  kvGetManyConnections,
  kvGetOneConnection,
} from '../engines/workloads.js';
import { runCli, seedCell, withTempDir } from './helpers.js';

async function modeledSpecs(): Promise<ModeledEngineSpec[]> {
  const engines = await Promise.all(engineIds('model').map((id) => loadEngine(id, 'model')));
  return engines.filter((e): e is ModeledEngine => e.driver === 'model' && 'spec' in e).map((e) => e.spec);
}

/** Seconds per request of a service: one over its throughput on the engine. */
const seconds = (spec: ModeledEngineSpec, cell: Cell): number =>
  1 / requestCapacity(cell, engineRequestPath(spec, cell)).throughput;

describe('workload profiles', () => {
  it('names every micro-benchmark of the published data and the application workloads', () => {
    const ids = BUILTIN_WORKLOADS.map((w) => w.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [
      'linpack',
      'stream-triad',
      'randomaccess',
      'nuttcp',
      'netperf-tcp-rr',
      'netperf-udp-rr',
      'fio-seq-read-1m',
      'fio-rand-mixed-4k',
      'syscall-bound',
      'sysbench-cpu',
      'iperf',
    ]) {
      expect(findWorkload(id)?.kind, id).toBe('micro');
    }
    expect(APPLICATION_WORKLOADS.map((w) => w.id)).toEqual([
      'kv-get',
      'kv-set',
      'http-keepalive',
      'http-new-connection',
      'oltp-read-only',
      'sysbench-memory',
      'sysbench-fileio',
      'kv-get-1conn',
      'kv-get-128conn',
      'http-server',
    ]);
    for (const w of BUILTIN_WORKLOADS) {
      expect(w.workload.name).toBe(w.id);
      expect(w.source.length, w.id).toBeGreaterThan(10);
    }
  });

  it('every named workload of the real application runs names its operation, and services their clients', () => {
    for (const id of [
      'kv-get',
      'kv-set',
      'http-keepalive',
      'http-new-connection',
      'sysbench-cpu',
      'sysbench-memory',
      'sysbench-fileio',
      'fio-seq-read-1m',
      'fio-rand-read-4k',
      'fio-rand-write-4k',
    ]) {
      const w = findWorkload(id)?.workload;
      expect(w?.operation, id).toBeTruthy();
      expect(w?.operations, id).toBeGreaterThan(0);
    }
    for (const id of ['kv-get', 'kv-set', 'http-keepalive', 'http-new-connection'])
      expect(findWorkload(id)?.workload.clients, id).toBe(1);
    // The earlier names are the same services at a fixed client count.
    expect(kvGetOneConnection.workload).toEqual({ ...kvGet.workload, name: 'kv-get-1conn', clients: 1 });
    expect(kvGetManyConnections.workload).toEqual({ ...kvGet.workload, name: 'kv-get-128conn', clients: 128 });
    // Socket calls cost the server far more than null system calls would.
    expect(kvGet.workload.serverCpuUs! / 3).toBeGreaterThan(10 * 0.1);
  });

  it('a scenario names a built-in workload, and a typo gets a did-you-mean with its position', async () => {
    await withTempDir(async (dir) => {
      const good = join(dir, 'named.yaml');
      await writeFile(good, 'hardware: felter2015-x3650m4\nworkload: kv-get-1conn\nengines: [native, docker]\n');
      expect((await loadScenario(good)).workload).toEqual(kvGetOneConnection.workload);
      const bad = join(dir, 'typo.yaml');
      await writeFile(bad, 'hardware: felter2015-x3650m4\nworkload: linpak\nengines: [native]\n');
      const error = await loadScenario(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).problems[0]).toMatchObject({
        location: { file: bad, line: 2, column: 11 },
        path: 'workload',
        hint: 'did you mean "linpack"?',
      });
      const run = await runCli(['run', bad, '--out', dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${bad}:2:11: workload: unknown workload "linpak"`);
    });
  });

  it('lists the workloads', async () => {
    const run = await runCli(['list', 'workloads']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kv-get-128conn');
    expect(run.stdout).toContain('fio-rand-mixed-4k');
  });
});

describe('application workloads respond to the right costs', () => {
  const positive = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

  it('a round-trip-bound key-value workload slows with network latency, not with disk', async () => {
    const specs = await modeledSpecs();
    const base = await seedCell('docker');
    const kv: Cell = { ...base, workload: kvGetOneConnection.workload };
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        positive(1, 5000),
        positive(1.01, 10),
        fc.record({
          seqReadMBs: positive(10, 10000),
          seqWriteMBs: positive(10, 10000),
          randReadIops: positive(100, 2e6),
          randWriteIops: positive(100, 2e6),
          latencyUs: positive(5, 20000),
        }),
        (spec, rttUs, slower, disk) => {
          const at = (rtt: number, storage = base.hardware.storage): Cell => ({
            ...kv,
            hardware: { ...kv.hardware, storage, network: { ...kv.hardware.network, rttUs: rtt } },
          });
          const t = seconds(spec, at(rttUs));
          // Slower network round trips make every engine slower ...
          expect(seconds(spec, at(rttUs * slower))).toBeGreaterThan(t);
          // ... while any disk leaves it exactly as it was.
          expect(seconds(spec, at(rttUs, { ...base.hardware.storage, ...disk }))).toBe(t);
        },
      ),
    );
  });

  it("an engine's extra round-trip latency slows it; its disk path costs do not", async () => {
    const specs = await modeledSpecs();
    const base = await seedCell('kvm');
    const cell: Cell = { ...base, workload: kvGetOneConnection.workload };
    fc.assert(
      fc.property(fc.constantFrom(...specs), positive(1, 500), positive(0, 1000), (spec, extraUs, diskUs) => {
        const withCosts = (roundTrip: number, disk: number): ModeledEngineSpec =>
          ({
            ...spec,
            costs: {
              ...spec.costs,
              networkRoundTripExtraUs: { ...spec.costs.networkRoundTripExtraUs, value: roundTrip },
              diskIoPathUs: { ...spec.costs.diskIoPathUs, value: disk },
              diskWritePathUs: { ...spec.costs.diskWritePathUs, value: disk },
            },
          }) as ModeledEngineSpec;
        const plain = seconds(withCosts(spec.costs.networkRoundTripExtraUs.value, spec.costs.diskIoPathUs.value), cell);
        expect(seconds(withCosts(spec.costs.networkRoundTripExtraUs.value, diskUs), cell)).toBe(plain);
        // Containers on the host network skip the bridge, so only engines on a path pay the extra.
        const onPath = spec.kind !== 'native' && !(spec.kind === 'container' && cell.options.network === 'host');
        if (onPath)
          expect(
            seconds(withCosts(spec.costs.networkRoundTripExtraUs.value + extraUs, spec.costs.diskIoPathUs.value), cell),
          ).toBeGreaterThan(plain);
      }),
    );
  });

  it('overlapping round trips make the many-connection store far less sensitive to latency', async () => {
    const docker = ((await loadEngine('docker')) as ModeledEngine).spec;
    const base = await seedCell('docker');
    const at = (w: Workload, rttUs: number): number =>
      seconds(docker, {
        ...base,
        workload: w,
        hardware: { ...base.hardware, network: { ...base.hardware.network, rttUs } },
      });
    const oneGrowth = at(kvGetOneConnection.workload, 200) / at(kvGetOneConnection.workload, 20);
    const manyGrowth = at(kvGetManyConnections.workload, 200) / at(kvGetManyConnections.workload, 20);
    expect(oneGrowth).toBeGreaterThan(5);
    expect(manyGrowth).toBeLessThan(oneGrowth / 2);
  });
});
