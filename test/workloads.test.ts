import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../bench/scenario/load.js';
import { engineTimes, OVERHEAD_DIMENSIONS } from '../engines/model/overhead.js';
import type { ModeledEngineSpec } from '../engines/model/params.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import { InputError } from '../engines/shared/errors.js';
import type { Cell, Workload } from '../engines/types.js';
import {
  APPLICATION_WORKLOADS,
  BUILTIN_WORKLOADS,
  findWorkload,
  kvGetManyConnections,
  kvGetOneConnection,
  type MICRO_WORKLOADS,
  netperfTcpRr,
  randomAccess,
} from '../engines/workloads.js';
import { runCli, seedCell, withTempDir } from './helpers.js';

async function modeledSpecs(): Promise<ModeledEngineSpec[]> {
  const engines = await Promise.all(engineIds('model').map((id) => loadEngine(id, 'model')));
  return engines.filter((e): e is ModeledEngine => e.driver === 'model' && 'spec' in e).map((e) => e.spec);
}

const seconds = (spec: ModeledEngineSpec, cell: Cell): number => {
  const t = engineTimes(spec, cell);
  return OVERHEAD_DIMENSIONS.reduce((sum, d) => sum + t[d], 0);
};

const TERMS = [
  'computeGcycles',
  'memoryGB',
  'randomAccessesM',
  'syscallsM',
  'diskSeqReadMB',
  'diskSeqWriteMB',
  'diskRandReadK',
  'diskRandWriteK',
  'networkMB',
  'roundTripsK',
] as const;

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
      'kv-get-1conn',
      'kv-get-128conn',
      'oltp-read-only',
      'http-server',
    ]);
    for (const w of BUILTIN_WORKLOADS) {
      expect(w.workload.name).toBe(w.id);
      expect(w.source.length, w.id).toBeGreaterThan(10);
    }
  });

  it('builds application workloads only from micro-benchmark operations', () => {
    const perOp = (w: (typeof MICRO_WORKLOADS)[number], term: (typeof TERMS)[number]) => w.workload[term] / w.units;
    for (const term of TERMS) {
      const expected = (perOp(netperfTcpRr, term) + perOp(randomAccess, term)) * kvGetOneConnection.units;
      expect(kvGetOneConnection.workload[term], term).toBeCloseTo(expected, 9);
    }
    for (const app of APPLICATION_WORKLOADS) expect(app.source).toMatch(/^composed, per request: /);
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
