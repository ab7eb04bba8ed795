import { describe, expect, it } from 'vitest';
import { findHardware } from '../engines/hardware/index.js';
import { findImage } from '../engines/images.js';
import type { Availability } from '../engines/real/availability.js';
import type { RealDriver } from '../engines/real/driver-spec.js';
import { findLeftovers } from '../engines/real/host/leaks.js';
import { loadEngine } from '../engines/registry.js';
import type { Cell, NetworkMode } from '../engines/types.js';

/**
 * The container drivers beyond runc: crun, runsc (gVisor), bubblewrap, systemd-nspawn and LXC,
 * each against this host. A test skips, saying why, when its driver cannot run here; each ends by
 * checking that nothing labeled with the run is left: processes, containers, cgroups, state
 * folders, locks, mounts.
 */

const DRIVERS = (process.env.VIRTBENCH_TEST_DRIVERS?.split(',') ?? [
  'crun',
  'runsc',
  'bwrap',
  'nspawn',
  'lxc',
]) as string[];

const drivers = new Map<string, { driver: RealDriver; availability: Availability }>();
for (const id of DRIVERS) {
  const driver = (await loadEngine(id, 'real')) as RealDriver;
  drivers.set(id, { driver, availability: await driver.availability() });
}

function skipReason(id: string): string {
  const { availability } = drivers.get(id)!;
  return availability.available ? '' : ` (skipped: ${availability.reasons.join('; ')})`;
}

function smallCell(network: NetworkMode = 'host', real: Record<string, unknown> = {}): Cell {
  return {
    scenario: 'real-containers-test',
    hardware: findHardware('dev-laptop')!,
    os: findImage('firecracker-minimal') ?? findImage('alpine-3.22')!,
    app: { name: 'busybox-echo', sizeMiB: 0, startMcycles: 1, workingSetMiB: 1, demandCores: 0.05, writtenMiB: 0 },
    workload: {
      name: 'none',
      computeGcycles: 0,
      threads: 1,
      memoryGB: 0,
      randomAccessesM: 0,
      syscallsM: 0,
      diskSeqReadMB: 0,
      diskSeqWriteMB: 0,
      diskRandReadK: 0,
      diskRandWriteK: 0,
      diskQueueDepth: 1,
      networkMB: 0,
      roundTripsK: 0,
    },
    density: { targetCpuUtilization: 0.8, vcpuOvercommit: 4, memoryOvercommit: 1, pageSharing: false, fleetSize: 10 },
    options: {
      memoryMiB: 256,
      vcpus: 1,
      image: 'alpine-3.22',
      imageCached: true,
      network,
      pinning: false,
      linkedClones: false,
      real: { bootWarmup: 1, bootIterations: 3, workloadRepetitions: 1, densityInstances: 2, ...real },
    },
    repetitions: 3,
    seed: 1,
    metrics: ['boot_time', 'image_size', 'density', 'overhead', 'isolation'],
  } as Cell;
}

describe('container drivers on this host', () => {
  for (const id of DRIVERS) {
    it.skipIf(!drivers.get(id)!.availability.available)(
      `${id}: boots, sizes, packs and loads, then leaves nothing behind${skipReason(id)}`,
      async () => {
        const { driver } = drivers.get(id)!;
        const measurement = await driver.measure(smallCell());
        if (measurement.state === 'unsuitable') throw new Error(measurement.reasons.join('; '));
        const s = measurement.samples;
        const notes = measurement.notes?.join('\n');
        console.log(id, JSON.stringify(s), notes);
        expect(s.boot_time, notes).toHaveLength(3);
        expect(await findLeftovers()).toEqual([]);
      },
      300_000,
    );
  }
});
