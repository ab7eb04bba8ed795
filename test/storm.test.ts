import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../bench/calibrate/benchmarks.js';
import { buildCell } from '../bench/run/plan.js';
import { loadScenario } from '../bench/scenario/load.js';
import { findHardware } from '../engines/hardware/index.js';
import { findImage } from '../engines/images.js';
import { bootPhases } from '../engines/model/boot.js';
import { simulateStorm } from '../engines/model/storm.js';
import { stormPlan } from '../engines/model/storm-plan.js';
import { MAX_JOB_WEIGHT, SharedResource } from '../engines/model/storm-resources.js';
import { FRESH_ARRAYS, MAX_RETAINED_SLOT_BYTES, ScratchArena } from '../engines/model/storm-scratch.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { loadEngine } from '../engines/registry.js';
import type { Cell, HardwareProfile, StormSettings } from '../engines/types.js';
import { runCli, withTempDir } from './helpers.js';

const burst = (instances: number, sharedImage = true): StormSettings => ({ instances, arrivalRate: 0, sharedImage });

async function modeled(id: string): Promise<ModeledEngine> {
  return (await loadEngine(id)) as ModeledEngine;
}

async function seedCells(): Promise<{ engine: ModeledEngine; cell: Cell }[]> {
  const scenario = await loadScenario('scenarios/seed-comparison.yaml');
  return scenario.engines.map((entry) => ({
    engine: entry.engine as ModeledEngine,
    cell: buildCell(scenario, entry, {}),
  }));
}

const analyticBoot = (engine: ModeledEngine, cell: Cell): number =>
  bootPhases(engine.spec, cell).reduce((sum, p) => sum + p.ms, 0);

describe('boot storm: known answers', () => {
  it('boots one instance in exactly the analytic boot time, for every engine, cached or pulled, shared or not', async () => {
    for (const { engine, cell } of await seedCells()) {
      for (const imageCached of [true, false]) {
        for (const sharedImage of [true, false]) {
          const variant: Cell = { ...cell, options: { ...cell.options, imageCached } };
          const storm = simulateStorm(engine.spec, variant, burst(1, sharedImage), { noise: false });
          expect(storm.allReadyMs, `${engine.id} cached=${imageCached} shared=${sharedImage}`).toBeCloseTo(
            analyticBoot(engine, variant),
            6,
          );
          expect(storm.latency.p99).toBeCloseTo(storm.allReadyMs, 6);
        }
      }
    }
  });

  it('with instances arriving far apart, nobody waits: every latency is the analytic boot time', async () => {
    const [, docker] = await seedCells();
    const storm = simulateStorm(
      docker!.engine.spec,
      docker!.cell,
      { instances: 50, arrivalRate: 0.5, sharedImage: true },
      { noise: false },
    );
    const boot = analyticBoot(docker!.engine, docker!.cell);
    expect(storm.latency.p50).toBeCloseTo(boot, 6);
    expect(storm.latency.p99).toBeCloseTo(boot, 6);
    expect(storm.allReadyMs).toBeCloseTo(49 * 2000 + boot, 3);
  });

  it('K VMs that each read their own kernel from a bandwidth-bound disk finish at about K x bytes / bandwidth', async () => {
    const kvm = await modeled('kvm');
    const { cell } = (await seedCells()).find((c) => c.engine.id === 'kvm')!;
    // Plenty of CPU and a slow disk: full clones read their kernel and initramfs from their own disks.
    const base = cell.hardware;
    const hardware: HardwareProfile = {
      ...base,
      cpu: { ...base.cpu, sockets: 4, coresPerSocket: 64, threadsPerCore: 2 },
      storage: { ...base.storage, seqReadMBs: 100 },
    };
    const diskCell: Cell = { ...cell, hardware, options: { ...cell.options, linkedClones: false } };
    const bytes = cell.os.kernelCompressedMiB.value * 1024 * 1024 * (1 + kvm.spec.costs.diskSeqFraction.value);
    const perInstanceMs = (bytes / (hardware.storage.seqReadMBs * 1e6)) * 1000;
    const instances = 500;
    const storm = simulateStorm(kvm.spec, diskCell, burst(instances, false), { noise: false });
    const expected = instances * perInstanceMs;
    expect(storm.busiest).toBe('storage');
    expect(Math.abs(storm.allReadyMs - expected) / expected).toBeLessThan(0.05);
    // The rest of the boot (CPU on an idle host) is what separates the two.
    expect(storm.allReadyMs).toBeGreaterThan(expected);
  });

  it('linked clones share one base disk, so only the first kernel read reaches the disk', async () => {
    const kvm = await modeled('kvm');
    const { cell } = (await seedCells()).find((c) => c.engine.id === 'kvm')!;
    const hardware: HardwareProfile = { ...cell.hardware, storage: { ...cell.hardware.storage, seqReadMBs: 100 } };
    const full = simulateStorm(
      kvm.spec,
      { ...cell, hardware, options: { ...cell.options, linkedClones: false } },
      burst(200),
      { noise: false },
    );
    const linked = simulateStorm(
      kvm.spec,
      { ...cell, hardware, options: { ...cell.options, linkedClones: true } },
      burst(200),
      { noise: false },
    );
    expect(linked.allReadyMs).toBeLessThan(full.allReadyMs / 2);
  });

  it('a serialised section admits one start at a time: K starts take at least K x its hold time', async () => {
    const docker = await modeled('docker');
    const { cell } = (await seedCells()).find((c) => c.engine.id === 'docker')!;
    const hardware: HardwareProfile = {
      ...cell.hardware,
      cpu: { ...cell.hardware.cpu, sockets: 8, coresPerSocket: 64 },
    };
    const serialMs = docker.spec.storm!.serialMs.value;
    expect(serialMs).toBeGreaterThan(0);
    const instances = 400;
    const storm = simulateStorm(docker.spec, { ...cell, hardware }, burst(instances), { noise: false });
    expect(storm.busiest).toBe('serial');
    expect(storm.allReadyMs).toBeGreaterThanOrEqual(instances * serialMs);
    expect(storm.allReadyMs).toBeLessThan(instances * serialMs + analyticBoot(docker, cell));
  });

  it('a shared image is pulled once for everyone; distinct images are each pulled', async () => {
    const docker = await modeled('docker');
    const { cell } = (await seedCells()).find((c) => c.engine.id === 'docker')!;
    const pulled: Cell = { ...cell, options: { ...cell.options, imageCached: false } };
    const phases = bootPhases(docker.spec, pulled);
    const fetch = phases
      .filter((p) => p.name === 'image_pull' || p.name === 'unpack')
      .reduce((sum, p) => sum + p.ms, 0);
    const fetching = (storm: ReturnType<typeof simulateStorm>): number =>
      (storm.phaseMeanMs.image_pull ?? 0) + (storm.phaseMeanMs.unpack ?? 0);
    const shared = simulateStorm(docker.spec, pulled, burst(100, true), { noise: false });
    const distinct = simulateStorm(docker.spec, pulled, burst(100, false), { noise: false });
    // Every instance waits for the one pull and unpack, and nobody waits longer than that.
    expect(fetching(shared)).toBeCloseTo(fetch, 6);
    expect(fetching(distinct)).toBeGreaterThan(fetch * 10);
  });

  it('takes longer, never shorter, as more instances start at once', async () => {
    for (const { engine, cell } of await seedCells()) {
      let previous = 0;
      for (const instances of [1, 4, 16, 64, 256, 1024]) {
        const storm = simulateStorm(engine.spec, cell, burst(instances), { noise: false });
        expect(storm.allReadyMs, `${engine.id} at ${instances}`).toBeGreaterThanOrEqual(previous - 1e-9);
        previous = storm.allReadyMs;
      }
    }
  });

  it('is reproducible from the cell seed, and the seed moves the noise', async () => {
    const [, docker] = await seedCells();
    const a = simulateStorm(docker!.engine.spec, docker!.cell, burst(2000));
    const b = simulateStorm(docker!.engine.spec, docker!.cell, burst(2000));
    const c = simulateStorm(docker!.engine.spec, { ...docker!.cell, seed: docker!.cell.seed + 1 }, burst(2000));
    expect(b).toEqual(a);
    expect(c.latency.p99).not.toBe(a.latency.p99);
  });

  it('counts its timeline: buckets add up to the instances started', async () => {
    const [, docker] = await seedCells();
    const storm = simulateStorm(docker!.engine.spec, docker!.cell, burst(3000));
    const started = storm.timeline.readyPerSecond.reduce(
      (sum, rate) => sum + (rate * storm.timeline.bucketMs) / 1000,
      0,
    );
    expect(started).toBeCloseTo(3000, 6);
  });
});

describe('boot storm: reused arrays', () => {
  it('gives every storm the result fresh arrays give, whatever larger storm ran before it on the thread', async () => {
    for (const { engine, cell } of await seedCells()) {
      // Leave the thread's arena full of another storm's state, arrivals spread out and at once.
      simulateStorm(engine.spec, cell, { instances: 5000, arrivalRate: 800, sharedImage: false });
      for (const settings of [burst(700), { instances: 900, arrivalRate: 1500, sharedImage: true }]) {
        const reused = simulateStorm(engine.spec, cell, settings);
        const fresh = simulateStorm(engine.spec, cell, settings, { arrays: FRESH_ARRAYS });
        expect(reused, `${engine.id} ${JSON.stringify(settings)}`).toEqual(fresh);
      }
    }
  });

  it('hands a slot its existing buffer when it is large enough, and a larger one when not', () => {
    const arena = new ScratchArena();
    const first = arena.float64('keys', 100);
    const smaller = arena.float64('keys', 10);
    expect(smaller.buffer).toBe(first.buffer);
    expect(smaller.length).toBe(10);
    const larger = arena.float64('keys', 200);
    expect(larger.buffer).not.toBe(first.buffer);
    expect(arena.float64('keys', 150).buffer).toBe(larger.buffer);
    expect(arena.int32('ids', 100).buffer).not.toBe(larger.buffer);
    expect(arena.retainedBytes).toBe(200 * 8 + 100 * 4);
  });

  it('keeps no buffer larger than its limit, so a huge storm does not stay in memory', () => {
    const arena = new ScratchArena();
    arena.float64('keys', 1000);
    const huge = arena.float64('keys', MAX_RETAINED_SLOT_BYTES / 8 + 1);
    expect(huge.length).toBe(MAX_RETAINED_SLOT_BYTES / 8 + 1);
    expect(arena.retainedBytes).toBe(0);
    expect(arena.float64('keys', 1000).buffer).not.toBe(huge.buffer);
  });

  it("keeps a job's weight in one byte, and refuses a weight one byte cannot hold", () => {
    const cpu = new SharedResource('cpu', 4, 4);
    cpu.add(0, 0, 10, 3);
    cpu.add(0, 1, 20, MAX_JOB_WEIGHT);
    expect(() => cpu.add(0, 2, 10, 1.5)).toThrow(/weighs 1.5 units/);
    expect(() => cpu.add(0, 3, 10, MAX_JOB_WEIGHT + 1)).toThrow(/whole numbers up to 255/);
    // 258 units share 4 threads: job 0 needs 10 ms of service at 4 / 258 of full speed.
    const first = cpu.nextCompletion();
    expect(first).toBeCloseTo(10 * (258 / 4), 9);
    expect(cpu.complete(first)).toBe(0);
    // Job 0's 3 units leave with it: job 1's last 10 ms run at 4 / 255 of full speed.
    const second = cpu.nextCompletion();
    expect(second).toBeCloseTo(first + 10 * (255 / 4), 9);
    expect(cpu.complete(second)).toBe(1);
    expect(cpu.nextCompletion()).toBe(Infinity);
  });
});

describe('boot storm: Firecracker creation rate', () => {
  it('is within 20% of the published steady creation rate (fc-creation-rate) on its published host', async () => {
    const rows = parse(await readFile('engines/data/published.csv', 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    const published = Number(rows.find((r) => r.id === 'fc-creation-rate')!.value);
    const firecracker = await modeled('firecracker');
    // The published host as profiled, two hardware threads per core; the rate is per physical core.
    const hardware = findHardware('fc-m5d-metal')!;
    const scenario = await loadScenario('scenarios/seed-comparison.yaml', { engines: ['firecracker'] });
    const base = buildCell(scenario, scenario.engines[0]!, {});
    // docs/design.md: a minimal kernel, one vCPU and 128 MiB, all from one image.
    const cell: Cell = {
      ...base,
      hardware,
      os: findImage('firecracker-minimal')!,
      app: { ...base.app, startMcycles: 0 },
      options: { ...base.options, vcpus: 1, memoryMiB: 128 },
    };
    // A steady rate with the production launcher's own CPU, as the calibration reads it.
    const storm = simulateStorm(firecracker.spec, cell, BENCHMARKS['microvm-creation-rate']!.setup!.storm!);
    const cores = hardware.cpu.sockets * hardware.cpu.coresPerSocket;
    const perCore = storm.readyPerSecond / cores;
    expect(storm.busiest).toBe('cpu');
    expect(Math.abs(perCore - published) / published).toBeLessThan(0.2);
  });

  it('splits the Firecracker boot into CPU, storage and waiting exactly as its phases say', async () => {
    const firecracker = await modeled('firecracker');
    const scenario = await loadScenario('scenarios/seed-comparison.yaml', { engines: ['firecracker'] });
    const cell = buildCell(scenario, scenario.engines[0]!, {});
    const plan = stormPlan(firecracker.spec, cell, burst(1));
    const total = plan.steps.reduce(
      (sum, step) => sum + (step.kind === 'use' ? Math.max(...step.demands.map((d) => d.ms)) : step.ms),
      0,
    );
    expect(total).toBeCloseTo(analyticBoot(firecracker, cell), 9);
  });
});

describe('boot storm in scenarios', () => {
  it('sweeps storm.instances and writes the curve to the CSV with a param_ column', async () => {
    await withTempDir(async (dir) => {
      const run = await runCli(['run', 'test/fixtures/storm-sweep.yaml', '--out', dir, '--workers', '1']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('boot_storm (ms, p50) vs storm.instances');
      expect(run.stdout).toContain('Boot storm: all ready');
      const csv = parse(await readFile(`${dir}/storm-sweep.csv`, 'utf8'), { columns: true }) as Record<
        string,
        string
      >[];
      const curve = csv.filter((r) => r.metric === 'boot_storm' && r.engine === 'firecracker');
      expect(curve.map((r) => r['param_storm.instances'])).toEqual(['1', '10', '100']);
      const times = curve.map((r) => Number(r.p50));
      expect(times[2]).toBeGreaterThan(times[0]!);
      expect(csv.find((r) => r.metric === 'boot_storm')!.detail).toMatch(/^busiest: /);
    });
  });

  it('rejects a storm sweep without a storm block, with its place in the file', async () => {
    const run = await runCli(['validate', 'test/fixtures/storm-sweep-without-storm.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/storm-sweep-without-storm\.yaml:\d+:\d+: sweep\.storm\.instances: .*no storm: block/);
    expect(run.stderr).toContain('hint: add storm:');
  });

  it('rejects a storm with no instances', async () => {
    const run = await runCli(['validate', 'test/fixtures/storm-zero.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/storm-zero\.yaml:\d+:\d+: storm\.instances:/);
  });

  it('rejects an arrival rate so close to 0 that later starts fall at no finite time, set or swept', async () => {
    await withTempDir(async (dir) => {
      const scenario = (storm: string, sweep = ''): string =>
        [
          'name: slow-arrivals',
          'hardware: fc-m5d-metal',
          'engines: [docker]',
          'metrics: [boot_storm]',
          storm,
          sweep,
        ].join('\n');
      await writeFile(join(dir, 'set.yaml'), scenario('storm: { instances: 3, arrivalRate: 1e-310 }'));
      await writeFile(
        join(dir, 'swept.yaml'),
        scenario('storm: { instances: 3 }', 'sweep: { storm.arrivalRate: [0, 1e-310] }'),
      );
      const set = await runCli(['validate', join(dir, 'set.yaml')]);
      expect(set.code).toBe(2);
      expect(set.stderr).toMatch(/set\.yaml:5:\d+: storm\.arrivalRate: an arrival rate this close to 0/);
      const swept = await runCli(['validate', join(dir, 'swept.yaml')]);
      expect(swept.code).toBe(2);
      expect(swept.stderr).toMatch(/swept\.yaml:6:\d+: sweep\.storm\.arrivalRate\[1\]/);
    });
    // Programs that call the simulator directly get the same refusal.
    const { engine, cell } = (await seedCells())[0]!;
    expect(() => simulateStorm(engine.spec, cell, { instances: 3, arrivalRate: 1e-310, sharedImage: true })).toThrow(
      /no finite time/,
    );
  });
});
