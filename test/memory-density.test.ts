import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../bench/scenario/load.js';
import { BUILTIN_IMAGES } from '../engines/images.js';
import { density, instanceMemory } from '../engines/model/density.js';
import type { ModeledEngineSpec } from '../engines/model/params.js';
import { defineModeledEngine, type ModeledEngine } from '../engines/modeled/define.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import { InputError } from '../engines/shared/errors.js';
import type { Cell } from '../engines/types.js';
import { runCli, seedCell, withTempDir } from './helpers.js';

async function modeledSpecs(): Promise<ModeledEngineSpec[]> {
  const engines = await Promise.all(engineIds('model').map((id) => loadEngine(id, 'model')));
  return engines.filter((e): e is ModeledEngine => e.driver === 'model' && 'spec' in e).map((e) => e.spec);
}

async function specOf(id: string): Promise<ModeledEngineSpec> {
  return ((await loadEngine(id, 'model')) as ModeledEngine).spec;
}

/** The seed cell with memory the only resource that could bind. */
async function memoryBoundCell(engineId: string): Promise<Cell> {
  const base = await seedCell(engineId);
  return {
    ...base,
    app: { ...base.app, demandCores: 0.0001 },
    density: { ...base.density, vcpuOvercommit: 1e6 },
  };
}

// The seed scenario's host: 256 GiB, less the 2 GiB every engine there keeps for the host.
const USABLE_MIB = 256 * 1024 - 2048;

describe('resident and reserved memory', () => {
  it('resident memory never exceeds reserved memory, for every engine, image, app and setting', async () => {
    const specs = await modeledSpecs();
    const base = await seedCell('kvm');
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.constantFrom(...BUILTIN_IMAGES),
        // An instance holds at least a page or so: a zero charge fits unboundedly many.
        fc.double({ min: 0.01, max: 65536, noNaN: true }),
        fc.integer({ min: 16, max: 262144 }),
        fc.option(fc.double({ min: 0.01, max: 65536, noNaN: true }), { nil: undefined }),
        fc.boolean(),
        fc.double({ min: 0.25, max: 16, noNaN: true }),
        fc.constantFrom('resident' as const, 'reserved' as const),
        (spec, os, workingSetMiB, memoryMiB, memoryLimitMiB, pageSharing, memoryOvercommit, memoryPolicy) => {
          const cell: Cell = {
            ...base,
            os,
            app: { ...base.app, workingSetMiB },
            options: { ...base.options, memoryMiB, ...(memoryLimitMiB === undefined ? {} : { memoryLimitMiB }) },
            density: { ...base.density, pageSharing, memoryOvercommit, memoryPolicy },
          };
          const memory = instanceMemory(spec, cell);
          expect(memory.residentMiB).toBeGreaterThanOrEqual(0);
          expect(memory.residentMiB).toBeLessThanOrEqual(memory.reservedMiB);
          const fit = density(spec, cell);
          expect(fit.memoryPerInstanceMiB).toBe(memory.residentMiB);
          expect(fit.memoryReservedMiB).toBe(memory.reservedMiB);
          // Charging reservations never fits more instances than charging touched pages.
          const reserved = density(spec, { ...cell, density: { ...cell.density, memoryPolicy: 'reserved' } });
          const resident = density(spec, { ...cell, density: { ...cell.density, memoryPolicy: 'resident' } });
          expect(reserved.limits.memory).toBeLessThanOrEqual(resident.limits.memory);
        },
      ),
    );
  });

  it('a small idle KVM guest holds its OS, the working set and QEMU; it reserves its whole RAM', async () => {
    const kvm = await specOf('kvm');
    const cell = await memoryBoundCell('kvm');
    // Ubuntu 24.04 guest OS 220 MiB + 64 MiB working set + 60 MiB of QEMU; 2048 MiB of guest RAM + 60.
    expect(instanceMemory(kvm, cell)).toEqual({ residentMiB: 344, reservedMiB: 2108, claimMiB: 2048, overheadMiB: 60 });
    // KSM merges half of the guest OS: 110 MiB.
    const shared = instanceMemory(kvm, { ...cell, density: { ...cell.density, pageSharing: true } });
    expect(shared.residentMiB).toBe(234);
    expect(shared.reservedMiB).toBe(2108);
  });

  it('with overcommit off the reservation binds; as the ratio grows resident memory takes over', async () => {
    const kvm = await specOf('kvm');
    const cell = await memoryBoundCell('kvm');
    const at = (memoryOvercommit: number, memoryPolicy?: 'resident' | 'reserved') =>
      density(kvm, { ...cell, density: { ...cell.density, memoryOvercommit, memoryPolicy } }).limits.memory;
    expect(at(1)).toBe(Math.floor(USABLE_MIB / 2108)); // 123
    expect(at(1)).toBe(123);
    // 4x: claims of 2048 / 4 + 60 = 572 MiB each admit fewer than the 344 MiB touched would allow.
    expect(at(4)).toBe(Math.floor(USABLE_MIB / 572)); // 454
    expect(at(4)).toBe(454);
    // 16x: 2048 / 16 + 60 = 188 MiB < 344 MiB resident, so touched pages bind.
    expect(at(16)).toBe(Math.floor(USABLE_MIB / 344)); // 756
    expect(at(16)).toBe(756);
    // The reserved policy backs every claimed page, whatever the ratio.
    expect(at(16, 'reserved')).toBe(123);
    // An absent policy is the resident one.
    expect(at(4, undefined)).toBe(at(4, 'resident'));
  });

  it('a container is charged its working set, or its memory limit when overcommit is off', async () => {
    const docker = await specOf('docker');
    const cell = await memoryBoundCell('docker');
    const shim = 4.1 / 1.048576; // gvisor-mem-sleep-runc
    expect(instanceMemory(docker, cell)).toEqual({
      residentMiB: 64 + shim,
      reservedMiB: 64 + shim,
      claimMiB: 64,
      overheadMiB: shim,
    });
    const limited = { ...cell, options: { ...cell.options, memoryLimitMiB: 256 } };
    expect(instanceMemory(docker, limited).residentMiB).toBe(64 + shim);
    expect(instanceMemory(docker, limited).reservedMiB).toBe(256 + shim);
    expect(density(docker, limited).limits.memory).toBe(Math.floor(USABLE_MIB / (256 + shim))); // 1000
    expect(density(docker, limited).limits.memory).toBe(1000);
    const overcommitted = { ...limited, density: { ...limited.density, memoryOvercommit: 8 } };
    expect(density(docker, overcommitted).limits.memory).toBe(Math.floor(USABLE_MIB / (64 + shim))); // 3830
    // A limit below the working set caps what the container holds.
    const tight = { ...cell, options: { ...cell.options, memoryLimitMiB: 32 } };
    expect(instanceMemory(docker, tight).residentMiB).toBe(32 + shim);
    expect(instanceMemory(docker, tight).reservedMiB).toBe(32 + shim);
  });

  it('the model reports both figures', async () => {
    const kvm = await specOf('kvm');
    const engine = defineModeledEngine(kvm);
    const measured = await engine.measure(await seedCell('kvm'));
    if (measured.state !== 'measured') throw new Error('kvm is unsuitable for the seed cell');
    expect(measured.samples['density.memory_per_instance']).toEqual([344]);
    expect(measured.samples['density.memory_reserved']).toEqual([2108]);
  });
});

describe('density.memoryPolicy in a scenario', () => {
  const scenario = (policy: string) =>
    `hardware: felter2015-x3650m4\nengines: [kvm]\ndensity:\n  memoryOvercommit: 4\n  memoryPolicy: ${policy}\n`;

  it('is resident unless the scenario says reserved', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'policy.yaml');
      await writeFile(file, 'hardware: felter2015-x3650m4\nengines: [kvm]\n');
      expect((await loadScenario(file)).density.memoryPolicy).toBe('resident');
      await writeFile(file, scenario('reserved'));
      expect((await loadScenario(file)).density.memoryPolicy).toBe('reserved');
    });
  });

  it('refuses any other value with its file, line, column and the two it accepts (exit 2)', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'policy.yaml');
      await writeFile(file, scenario('touched'));
      const problems = await loadScenario(file).then(
        () => [],
        (error: unknown) => (error instanceof InputError ? error.problems : []),
      );
      expect(problems[0]).toMatchObject({ location: { file, line: 5, column: 17 }, path: 'density.memoryPolicy' });
      expect(problems[0]!.expected).toContain('resident');
      expect(problems[0]!.expected).toContain('reserved');
      const run = await runCli(['validate', file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${file}:5:17`);
    });
  });
});
