import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyFactors,
  calibrateHostUnits,
  type FitDriver,
  fitHostUnits,
  modelBootMs,
} from '../bench/calibrate/host-fit.js';
import { findHardware } from '../engines/hardware/index.js';
import { defaultKernelCost, KERNEL_OPERATIONS, kernelCosts } from '../engines/hardware/kernel-costs.js';
import { bootPhases } from '../engines/model/boot.js';
import type { ModeledEngineSpec } from '../engines/model/params.js';
import { workMs } from '../engines/model/start-work.js';
import { interceptionNs, resolveVariants } from '../engines/model/variants.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import type { Cell, HardwareProfile } from '../engines/types.js';
import { seedCell, withTempDir } from './helpers.js';

async function spec(id: string): Promise<ModeledEngineSpec> {
  return ((await loadEngine(id)) as ModeledEngine).spec;
}

/** Engines that start on the host kernel: processes, containers and sandboxes. */
async function hostKernelSpecs(): Promise<ModeledEngineSpec[]> {
  const engines = await Promise.all(engineIds('model').map((id) => loadEngine(id)));
  return engines
    .filter((e): e is ModeledEngine => 'spec' in e)
    .map((e) => e.spec)
    .filter((s) => s.kind === 'native' || s.kind === 'container' || s.kind === 'sandbox');
}

const withGhz = (cell: Cell, ghz: number): Cell => ({
  ...cell,
  hardware: { ...cell.hardware, cpu: { ...cell.hardware.cpu, ghz } },
});

describe('start-up as work', () => {
  it('prices each operation from the CPU when the profile gives none: cycles at the clock plus kernel entries', () => {
    const cpu = { ...findHardware('dev-laptop')!.cpu, ghz: 2, syscallNs: 100 };
    // 1.0 Mcycles at 2 GHz = 500 µs, and 100 entries x 100 ns = 10 µs.
    expect(defaultKernelCost('forkExecUs', cpu)).toBeCloseTo(510, 9);
    expect(KERNEL_OPERATIONS.forkExecUs.mcycles).toBe(1);
  });

  it("keeps a profile's own kernel costs", () => {
    const scrivano = findHardware('scrivano2017-laptop')!;
    expect(kernelCosts(scrivano).forkExecUs).toBe(3833);
    expect(kernelCosts(scrivano).netnsUs).toBe(114_800);
  });

  it('adds up the work of a phase from its unit costs', () => {
    const hw: HardwareProfile = {
      ...findHardware('dev-laptop')!,
      kernel: { forkExecUs: 100, mountUs: 10, cgroupWriteUs: 5, namespaceUs: 2, netnsUs: 1000, ipcRoundTripUs: 50 },
    };
    // 2 x 100 + 3 x 10 + 4 x 5 + 1 x 2 + 2 x 50 µs = 352 µs; 3 Mcycles at 3 GHz = 1 ms; 1000 calls x 90 ns = 90 µs.
    const ms = workMs(
      { forkExecs: 2, mounts: 3, cgroupWrites: 4, namespaces: 1, roundTrips: 2, mcycles: 3, syscalls: 1000 },
      hw,
    );
    expect(ms).toBeCloseTo(0.352 + 1 + 0.09, 9);
  });

  it('a faster CPU never boots a process, container or sandbox slower', async () => {
    const specs = await hostKernelSpecs();
    const base = await seedCell('docker');
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.constantFrom<'host' | 'bridge'>('host', 'bridge'),
        (engine, ghz, speedup, network) => {
          const cell = { ...base, options: { ...base.options, network } };
          const slow = bootPhases(engine, withGhz(cell, ghz));
          const fast = bootPhases(engine, withGhz(cell, ghz * speedup));
          for (const phase of fast) {
            const before = slow.find((p) => p.name === phase.name)!;
            expect(phase.ms).toBeLessThanOrEqual(before.ms * (1 + 1e-12));
          }
        },
      ),
    );
  });

  it('the CPU-bound phases scale inversely with the clock', async () => {
    const specs = await hostKernelSpecs();
    const base = await seedCell('docker');
    // A profile with no kernel entries' worth of system-call cost leaves only cycles in the unit costs.
    const cyclesOnly = { ...base, hardware: { ...base.hardware, cpu: { ...base.hardware.cpu, syscallNs: 1e-9 } } };
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        (engine, ghz, speedup) => {
          const slow = bootPhases(engine, withGhz(cyclesOnly, ghz));
          const fast = bootPhases(engine, withGhz(cyclesOnly, ghz * speedup));
          for (const name of ['exec', 'runtime_start', 'sandbox_kernel', 'namespaces', 'cgroups', 'rootfs_mount']) {
            const before = slow.find((p) => p.name === name);
            const after = fast.find((p) => p.name === name);
            if (!before || !after) continue;
            expect(after.ms * speedup).toBeCloseTo(before.ms, 6);
          }
        },
      ),
    );
  });

  it('Docker starts what runc starts, plus its daemon path', async () => {
    const cell = await seedCell('docker');
    const docker = bootPhases(await spec('docker'), cell);
    const runc = bootPhases(await spec('runc'), cell);
    const phase = (phases: typeof docker, name: string) => phases.find((p) => p.name === name)?.ms;
    expect(phase(docker, 'runtime_start')).toBe(phase(runc, 'runtime_start'));
    expect(phase(docker, 'cgroups')).toBe(phase(runc, 'cgroups'));
    expect(phase(runc, 'daemon')).toBeUndefined(); // a phase with no work is left out
    expect(phase(docker, 'daemon')).toBeGreaterThan(0);
    // crun does the same kernel work without a Go runtime: only its own start differs.
    const crun = bootPhases(await spec('crun'), cell);
    expect(phase(crun, 'cgroups')).toBe(phase(runc, 'cgroups'));
    expect(phase(crun, 'runtime_start')!).toBeLessThan(phase(runc, 'runtime_start')!);
  });

  it("gVisor's own start replaces runc's instead of adding to it", async () => {
    const cell = await seedCell('gvisor');
    const gvisor = bootPhases(await spec('gvisor'), cell);
    const docker = bootPhases(await spec('docker'), cell);
    const names = gvisor.map((p) => p.name);
    expect(names.filter((n) => n === 'runtime_start')).toHaveLength(1);
    expect(names).toContain('sandbox_kernel');
    const runscStart = gvisor.find((p) => p.name === 'runtime_start')!.ms;
    const runcStart = docker.find((p) => p.name === 'runtime_start')!.ms;
    expect(runscStart).not.toBe(runcStart);
  });

  it('bwrap makes no cgroup and has no daemon', async () => {
    const phases = bootPhases(await spec('bwrap'), await seedCell('docker'));
    expect(phases.find((p) => p.name === 'cgroups')).toBeUndefined();
    expect(phases.find((p) => p.name === 'daemon')).toBeUndefined();
  });
});

describe('gVisor platforms', () => {
  it('defaults to systrap and says so in its notes', async () => {
    const cell = await seedCell('gvisor');
    const { notes } = resolveVariants(await spec('gvisor'), {
      ...cell,
      options: { ...cell.options, platform: undefined },
    });
    expect(notes[0]).toMatch(/^gVisor platform: systrap/);
  });

  it('systrap intercepts for less than ptrace and more than kvm on every built-in host', async () => {
    const gvisor = await spec('gvisor');
    const platforms = gvisor.variants!.platform!.values;
    const base = await seedCell('gvisor');
    for (const id of ['felter2015-x3650m4', 'gvisor-n1-standard-4', 'ant2021-xeon-e5-2650v2', 'dev-laptop']) {
      const cell = { ...base, hardware: findHardware(id)! };
      const ns = (p: keyof typeof platforms) => interceptionNs(platforms[p].interception!, cell);
      expect(ns('systrap')).toBeLessThan(ns('ptrace'));
      expect(ns('systrap')).toBeGreaterThan(ns('kvm'));
    }
  });

  it('reproduces both published ptrace rows from one mechanism', async () => {
    const ptrace = (await spec('gvisor')).variants!.platform!.values.ptrace.interception!;
    const base = await seedCell('gvisor');
    const on = (id: string) => interceptionNs(ptrace, { ...base, hardware: findHardware(id)! });
    expect(on('gvisor-n1-standard-4')).toBeCloseTo(38219, -1); // gvisor-syscall-runsc-ptrace
    expect(on('ant2021-xeon-e5-2650v2')).toBeCloseTo(6249, -1); // ant2021-getpid-runsc-ptrace
  });

  it('podman runs the runtime its options name', async () => {
    const podman = await spec('podman');
    const cell = await seedCell('docker');
    const boot = (runtime: 'crun' | 'runc' | 'runsc') =>
      modelBootMs(podman, { ...cell, options: { ...cell.options, runtime } });
    expect(boot('crun')).toBeLessThan(boot('runc'));
    expect(boot('runc')).toBeLessThan(boot('runsc'));
  });
});

describe('calibrate --host unit-cost fit', () => {
  const hardware = findHardware('dev-laptop')!;

  /** Drivers whose measurements a known set of factors produced: the fit must recover the boots. */
  async function synthetic(truth: Parameters<typeof applyFactors>[1], fitSet: readonly string[]): Promise<FitDriver[]> {
    const cell = await seedCell('docker');
    const trueHost = applyFactors(hardware, truth);
    const drivers: FitDriver[] = [];
    for (const [driver, counterpart] of [
      ['process', 'native'],
      ['runc', 'runc'],
      ['crun', 'crun'],
      ['docker', 'docker'],
      ['bwrap', 'bwrap'],
    ] as const) {
      const s = await spec(counterpart);
      const at = (hw: HardwareProfile) =>
        modelBootMs(s, { ...cell, hardware: hw, app: { ...cell.app, startMcycles: 1 } });
      drivers.push({
        driver,
        counterpart,
        measuredMs: at(trueHost),
        samples: 20,
        inFit: fitSet.includes(driver),
        modelMs: at,
      });
    }
    return drivers;
  }

  it('fits the drivers in the fit set and predicts the others from the same unit costs', async () => {
    const truth = { cpu: 2, forkExecUs: 5, namespaceUs: 1, mountUs: 1.5, cgroupWriteUs: 1 };
    const fit = fitHostUnits(hardware, await synthetic(truth, ['process', 'runc', 'crun']));
    expect(fit.fitDrivers).toEqual(['process', 'runc', 'crun']);
    expect(fit.quantities.map((q) => q.quantity)).toEqual([
      'cpu',
      'forkExecUs',
      'namespaceUs',
      'mountUs',
      'cgroupWriteUs',
    ]);
    for (const d of fit.drivers) {
      expect(d.role).toBe(['process', 'runc', 'crun'].includes(d.driver) ? 'fitted' : 'predicted');
      expect(Math.abs(d.afterMs / d.measuredMs - 1)).toBeLessThan(0.1);
    }
    const docker = fit.drivers.find((d) => d.driver === 'docker')!;
    expect(Math.abs(docker.beforeMs / docker.measuredMs - 1)).toBeGreaterThan(0.3);
  });

  it('leaves the probed profile alone when no driver is in the fit set', async () => {
    const fit = fitHostUnits(
      hardware,
      await synthetic({ cpu: 2, forkExecUs: 5, namespaceUs: 1, mountUs: 1, cgroupWriteUs: 1 }, []),
    );
    for (const q of fit.quantities) expect(q.fitted).toBeCloseTo(q.probed, 9);
  });
});

describe('calibrate --host on a real-host result', () => {
  const real = (id: string, counterpart: string, p50: number) => ({
    engine: { id, driver: 'real', modeledCounterpart: counterpart },
    row: { engine: id, driver: 'real', metric: 'boot_time', p50, n: 20, stddev: 1 },
  });
  const drivers = [
    real('process', 'native', 5),
    real('namespaces', 'namespaces', 12),
    real('runc', 'runc', 90),
    real('docker', 'docker', 700),
    real('crun', 'crun', 40),
    real('lxc', 'no-such-engine', 40),
  ];
  const result = {
    scenario: { name: 'real-host', file: 'scenarios/real-host.yaml' },
    hardware: findHardware('dev-laptop')!,
    engines: drivers.map((d) => d.engine),
    rows: drivers.map((d) => d.row),
  };

  it('fits the named drivers, predicts the others by their counterparts, and writes the fitted host', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'real-host.json');
      await writeFile(file, JSON.stringify(result));
      const { fit, text } = await calibrateHostUnits(file, dir);
      expect(fit.fitDrivers).toEqual(['process', 'namespaces', 'runc']);
      // crun is not in real-host.yaml's engines: its counterpart comes from the registry by id.
      expect(fit.drivers.map((d) => [d.driver, d.role])).toEqual([
        ['process', 'fitted'],
        ['namespaces', 'fitted'],
        ['runc', 'fitted'],
        ['docker', 'predicted'],
        ['crun', 'predicted'],
      ]);
      expect(text).toContain(
        'not fitted or predicted: lxc: its counterpart no-such-engine is not a built-in modeled engine yet',
      );
      const saved = JSON.parse(await readFile(join(dir, 'host-units.json'), 'utf8'));
      expect(saved.hardware.id).toBe('dev-laptop-fitted');
      expect(Object.keys(saved.hardware.kernel).sort()).toEqual(
        ['cgroupWriteUs', 'forkExecUs', 'ipcRoundTripUs', 'mountUs', 'namespaceUs', 'netnsUs'].sort(),
      );
    });
  });

  it('refuses a --fit driver the result has no boot for', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'real-host.json');
      await writeFile(file, JSON.stringify(result));
      await expect(calibrateHostUnits(file, dir, ['process', 'qemu'])).rejects.toThrow(/--fit names qemu/);
    });
  });
});
