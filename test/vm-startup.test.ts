import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../bench/calibrate/benchmarks.js';
import { loadPublished } from '../bench/calibrate/published.js';
import { buildCell } from '../bench/run/plan.js';
import { loadScenario, type Scenario } from '../bench/scenario/load.js';
import { bootPhases } from '../engines/model/boot.js';
import { simulateStorm } from '../engines/model/storm.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { loadEngine } from '../engines/registry.js';
import type { Cell, StormSettings } from '../engines/types.js';

async function nsdiCell(engineId: string, benchmark: string): Promise<{ engine: ModeledEngine; cell: Cell }> {
  const scenario: Scenario = await loadScenario('scenarios/calibration/fc-nsdi2020.yaml');
  const setup = BENCHMARKS[benchmark]!.setup!;
  const entry = scenario.engines.find((e) => e.engine.id === engineId)!;
  const variant: Scenario = { ...scenario, hardware: setup.hardware!(scenario.hardware), storm: setup.storm };
  return { engine: entry.engine as ModeledEngine, cell: buildCell(variant, entry, {}) };
}

function phaseMs(engine: ModeledEngine, cell: Cell): Record<string, number> {
  return Object.fromEntries(bootPhases(engine.spec, cell).map((p) => [p.name, p.ms]));
}

describe('VM start-up as work', () => {
  it('turns the work into time through the hardware profile: a faster clock shortens CPU phases only', async () => {
    const { engine, cell } = await nsdiCell('cloud-hypervisor', 'vm-boot-serial');
    const slow = phaseMs(engine, cell);
    const fast = phaseMs(engine, { ...cell, hardware: { ...cell.hardware, cpu: { ...cell.hardware.cpu, ghz: 5 } } });
    expect(fast.vmm_start! / slow.vmm_start!).toBeCloseTo(0.5, 10);
    expect(fast.kernel_init! / slow.kernel_init!).toBeCloseTo(0.5, 10);
    expect(fast.kernel_load).toBe(slow.kernel_load);
    const quickDisk = phaseMs(engine, {
      ...cell,
      hardware: { ...cell.hardware, storage: { ...cell.hardware.storage, seqReadMBs: 4000 } },
    });
    expect(quickDisk.kernel_load! / slow.kernel_load!).toBeCloseTo(0.5, 10);
  });

  it('gives the control path a phase of its own: the API socket costs Firecracker 21.8 ms more than its file', async () => {
    const file = await nsdiCell('firecracker', 'vm-boot-parallel-10');
    const api = await nsdiCell('firecracker-api', 'vm-boot-parallel-10');
    const fileMs = phaseMs(file.engine, file.cell);
    const apiMs = phaseMs(api.engine, api.cell);
    expect(apiMs.control_path! - fileMs.control_path!).toBeCloseTo(179.1 - 157.328, 6);
    expect(fileMs.control_path).toBeCloseTo(4.12289, 5);
  });

  it('boots a kvm guest directly, without firmware and boot loader, when boot is direct', async () => {
    const kvm = (await loadEngine('kvm')) as ModeledEngine;
    const { cell } = await nsdiCell('firecracker', 'vm-boot-serial');
    const withFirmware = phaseMs(kvm, cell);
    const direct = phaseMs(kvm, { ...cell, options: { ...cell.options, boot: 'direct' } });
    expect(withFirmware.firmware).toBe(350);
    expect(withFirmware.bootloader).toBe(250);
    expect(direct.firmware).toBeUndefined();
    expect(direct.bootloader).toBeUndefined();
    expect(direct.kernel_init).toBe(withFirmware.kernel_init);
  });

  it('boots a unikernel with nothing to inflate, probe or wait for', async () => {
    const scenario = await loadScenario('scenarios/calibration/unikraft-eurosys21.yaml');
    const entry = scenario.engines.find((e) => e.engine.id === 'qemu-microvm')!;
    const phases = phaseMs(entry.engine as ModeledEngine, buildCell(scenario, entry, {}));
    expect(phases.kernel_decompress).toBeUndefined();
    expect(phases.init_system).toBeUndefined();
    expect(phases.kernel_init).toBeCloseTo((0.055 * 3.6 * 1.02322) / 3.6, 10);
  });

  it('pays the idle host its wake-ups only when a boot runs alone', async () => {
    const { engine, cell } = await nsdiCell('cloud-hypervisor', 'vm-boot-serial');
    expect(phaseMs(engine, cell).idle_wakeups).toBeCloseTo(102.461 - 79.881, 6);
    const quiet = { noise: false } as const;
    const loop = (concurrency: number): StormSettings => ({
      instances: 20,
      arrivalRate: 0,
      sharedImage: true,
      concurrency,
    });
    const alone = simulateStorm(engine.spec, cell, loop(1), quiet);
    const together = simulateStorm(engine.spec, cell, loop(2), quiet);
    expect(alone.latency.p50 - together.latency.p50).toBeCloseTo(102.461 - 79.881, 6);
  });
});

/** NSDI'20 (fc-nsdi2020 rows): p50 and p99 of 1,000 boots with N in flight on fc-m5d-metal, SMT off. */
const PUBLISHED: Record<string, Record<number, [number, number]>> = {
  firecracker: { 10: [157.328, 188.958], 50: [205.88, 246.432], 100: [217.198, 262.157] },
  'firecracker-api': { 10: [179.1, 212.721], 50: [237.243, 281.925], 100: [254.767, 311.393] },
  'cloud-hypervisor': { 10: [79.881, 106.645], 50: [127.686, 158.751], 100: [133.908, 167.517] },
  'qemu-qboot': { 10: [196.471, 226.719], 50: [231.008, 279.025], 100: [239.881, 295.623] },
};

/** The closed-loop storm's figures for them, which the test pins (see docs/model.md, Boot storms). */
const MODELED: Record<string, Record<number, [number, number]>> = {
  firecracker: { 10: [157.28, 172], 50: [193.6, 243.58], 100: [219.57, 249.55] },
  'firecracker-api': { 10: [179.6, 192.25], 50: [212.65, 268.48], 100: [246.83, 275.76] },
  'cloud-hypervisor': { 10: [82.87, 89.12], 50: [148.89, 163.09], 100: [148.89, 163.09] },
  'qemu-qboot': { 10: [196.72, 210.79], 50: [235.41, 293.92], 100: [268.65, 292.99] },
};

/**
 * Where the model misses by more than 15%: Cloud Hypervisor's short boots queue for the CPU more
 * than its runs did at 50 in flight (+16.6%), and its p99 with 10 in flight lacks the spread the
 * runs had (-16.4%). Kept visible here rather than tuned away.
 */
const KNOWN_MISSES = new Set(['cloud-hypervisor 50 p50', 'cloud-hypervisor 10 p99']);

describe("the NSDI'20 boot storm, closed loop", () => {
  it('copies every published figure it reproduces from engines/data/published.csv', async () => {
    const rows = await loadPublished();
    const alias: Record<string, string> = { firecracker: 'fc', 'firecracker-api': 'fc-api', 'cloud-hypervisor': 'chv' };
    for (const [engine, byN] of Object.entries(PUBLISHED)) {
      for (const [n, [p50, p99]] of Object.entries(byN)) {
        const prefix = `nsdi20-boot-par${n}-${alias[engine] ?? engine}`;
        expect(rows.find((r) => r.id === `${prefix}-p50`)?.value).toBe(p50);
        expect(rows.find((r) => r.id === `${prefix}-p99`)?.value).toBe(p99);
      }
    }
  });

  for (const engineId of Object.keys(PUBLISHED)) {
    it(`reproduces ${engineId} with 10, 50 and 100 in flight within 15%`, async () => {
      for (const n of [10, 50, 100]) {
        const { engine, cell } = await nsdiCell(engineId, `vm-boot-parallel-${n}`);
        const storm = simulateStorm(engine.spec, cell, cell.storm as StormSettings);
        const [p50, p99] = PUBLISHED[engineId]![n]!;
        expect(storm.latency.p50).toBeCloseTo(MODELED[engineId]![n]![0], 1);
        expect(storm.latency.p99).toBeCloseTo(MODELED[engineId]![n]![1], 1);
        for (const [name, modeled, published] of [
          ['p50', storm.latency.p50, p50],
          ['p99', storm.latency.p99, p99],
        ] as const) {
          const error = Math.abs(modeled / published - 1);
          if (KNOWN_MISSES.has(`${engineId} ${n} ${name}`)) expect(error).toBeLessThan(0.17);
          else expect(error).toBeLessThan(0.15);
        }
      }
    });
  }
});
