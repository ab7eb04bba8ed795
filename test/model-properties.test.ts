import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_IMAGES } from '../engines/images.js';
import { bootPhases } from '../engines/model/boot.js';
import { density } from '../engines/model/density.js';
import { imageFootprint } from '../engines/model/image.js';
import { engineTimes, OVERHEAD_DIMENSIONS } from '../engines/model/overhead.js';
import type { ModeledEngineSpec } from '../engines/model/params.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import type { Cell, Workload } from '../engines/types.js';
import { seedCell } from './helpers.js';

async function modeledSpecs(): Promise<ModeledEngineSpec[]> {
  const engines = await Promise.all(engineIds('model').map((id) => loadEngine(id, 'model')));
  return engines.filter((e): e is ModeledEngine => e.driver === 'model' && 'spec' in e).map((e) => e.spec);
}

const bootMs = (spec: ModeledEngineSpec, cell: Cell) => bootPhases(spec, cell).reduce((sum, p) => sum + p.ms, 0);
const totalSeconds = (spec: ModeledEngineSpec, cell: Cell) => {
  const t = engineTimes(spec, cell);
  return OVERHEAD_DIMENSIONS.reduce((sum, d) => sum + t[d], 0);
};

describe('model properties', () => {
  it('more host memory never lowers density', async () => {
    const base = await seedCell('kvm');
    const specs = await modeledSpecs();
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.integer({ min: 8, max: 2048 }),
        fc.integer({ min: 0, max: 2048 }),
        (spec, gib, extra) => {
          const small = { ...base, hardware: { ...base.hardware, memory: { ...base.hardware.memory, gib } } };
          const large = {
            ...base,
            hardware: { ...base.hardware, memory: { ...base.hardware.memory, gib: gib + extra } },
          };
          expect(density(spec, large).instances).toBeGreaterThanOrEqual(density(spec, small).instances);
        },
      ),
    );
  });

  it('faster storage never slows boot', async () => {
    const specs = await modeledSpecs();
    const base = {
      ...(await seedCell('docker')),
      options: { ...(await seedCell('docker')).options, imageCached: false },
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.double({ min: 50, max: 5000, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        (spec, mbs, speedup) => {
          const at = (rate: number): Cell => ({
            ...base,
            hardware: { ...base.hardware, storage: { ...base.hardware.storage, seqReadMBs: rate, seqWriteMBs: rate } },
          });
          expect(bootMs(spec, at(mbs * speedup))).toBeLessThanOrEqual(bootMs(spec, at(mbs)) + 1e-9);
        },
      ),
    );
  });

  it("a container image is smaller than the same app's VM image", async () => {
    const docker = (await loadEngine('docker')) as ModeledEngine;
    const vms = (await modeledSpecs()).filter((s) => s.kind === 'type1' || s.kind === 'type2');
    const base = await seedCell('docker');
    fc.assert(
      fc.property(
        fc.constantFrom(...BUILTIN_IMAGES),
        fc.constantFrom(...vms),
        fc.double({ min: 0, max: 4096, noNaN: true }),
        (os, vm, appMiB) => {
          const cell: Cell = { ...base, os, app: { ...base.app, sizeMiB: appMiB } };
          expect(imageFootprint(docker.spec, cell).onDiskMiB).toBeLessThan(imageFootprint(vm, cell).onDiskMiB);
        },
      ),
    );
  });

  it('type 1 overhead is never above type 2 for any workload mix', async () => {
    const specs = await modeledSpecs();
    const type1 = specs.filter((s) => s.kind === 'type1');
    const type2 = specs.filter((s) => s.kind === 'type2');
    const base = await seedCell('kvm');
    const amount = fc.double({ min: 0, max: 100, noNaN: true });
    const workload = fc.record<Workload>({
      name: fc.constant('generated'),
      computeGcycles: amount,
      threads: fc.integer({ min: 1, max: 8 }),
      memoryGB: amount,
      randomAccessesM: amount,
      syscallsM: amount,
      diskSeqReadMB: amount,
      diskSeqWriteMB: amount,
      diskRandReadK: amount,
      diskRandWriteK: amount,
      diskQueueDepth: fc.integer({ min: 1, max: 256 }),
      networkMB: amount,
      roundTripsK: amount,
    });
    fc.assert(
      fc.property(workload, fc.constantFrom(...type1), fc.constantFrom(...type2), (w, t1, t2) => {
        const cell: Cell = { ...base, workload: w };
        expect(totalSeconds(t1, cell)).toBeLessThanOrEqual(totalSeconds(t2, cell) * (1 + 1e-12));
      }),
    );
  });

  it('a container skips every guest-kernel phase and a VM has them all', async () => {
    const docker = (await loadEngine('docker')) as ModeledEngine;
    const kvm = (await loadEngine('kvm')) as ModeledEngine;
    const cell = await seedCell('kvm');
    const names = (spec: ModeledEngineSpec) => bootPhases(spec, cell).map((p) => p.name);
    expect(names(docker.spec)).not.toContain('kernel_init');
    expect(names(kvm.spec)).toEqual(
      expect.arrayContaining(['firmware', 'kernel_load', 'kernel_decompress', 'kernel_init', 'init_system']),
    );
  });

  it('an uncached container image adds pull and unpack time that grows with image size', async () => {
    const docker = (await loadEngine('docker')) as ModeledEngine;
    const cell = await seedCell('docker');
    const cached = bootMs(docker.spec, cell);
    const pulled = (appMiB: number) =>
      bootMs(docker.spec, {
        ...cell,
        options: { ...cell.options, imageCached: false },
        app: { ...cell.app, sizeMiB: appMiB },
      });
    expect(pulled(cell.app.sizeMiB)).toBeGreaterThan(cached);
    expect(pulled(500)).toBeGreaterThan(pulled(50));
  });

  it('page sharing raises VM density once memory is overcommitted, and overcommit raises it when memory binds', async () => {
    const kvm = (await loadEngine('kvm')) as ModeledEngine;
    const base = await seedCell('kvm');
    // Plenty of CPU so that memory is the binding resource.
    const cell: Cell = {
      ...base,
      density: { ...base.density, vcpuOvercommit: 64 },
      app: { ...base.app, demandCores: 0.01 },
    };
    const plain = density(kvm.spec, cell);
    expect(plain.binding).toBe('memory');
    // With overcommit off every guest page is backed, so merging pages frees nothing to promise.
    expect(density(kvm.spec, { ...cell, density: { ...cell.density, pageSharing: true } }).instances).toBe(
      plain.instances,
    );
    const overcommitted: Cell = { ...cell, density: { ...cell.density, memoryOvercommit: 16 } };
    expect(
      density(kvm.spec, { ...overcommitted, density: { ...overcommitted.density, pageSharing: true } }).instances,
    ).toBeGreaterThan(density(kvm.spec, overcommitted).instances);
    expect(
      density(kvm.spec, { ...cell, density: { ...cell.density, memoryOvercommit: 1.5 } }).instances,
    ).toBeGreaterThan(plain.instances);
  });
});
