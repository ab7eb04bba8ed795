import { findHardware } from '../engines/hardware/index.js';
import { findImage } from '../engines/images.js';
import type { Availability } from '../engines/real/availability.js';
import type { Cell, NetworkMode, RealDriverOptions } from '../engines/types.js';
import { NO_WORK } from '../engines/workloads.js';

/**
 * The cells the real-driver tests measure: busybox on a small instance, few iterations, so the
 * suites stay short on a 2-core CI machine. Each suite sets only what it is about.
 */

/** Real-driver settings of a quick cell: one warm-up, three boots, one workload run, two idle instances. */
export const QUICK_REAL: RealDriverOptions = {
  bootWarmup: 1,
  bootIterations: 3,
  workloadRepetitions: 1,
  densityInstances: 2,
};

export interface RealTestCell {
  readonly scenario: string;
  readonly real?: RealDriverOptions;
  readonly network?: NetworkMode;
  /** A named workload (an application's id), with its clients. Default: one that does nothing. */
  readonly workload?: { readonly name: string; readonly clients?: number };
  readonly repetitions?: number;
  readonly metrics?: readonly string[];
}

export function realTestCell(cell: RealTestCell): Cell {
  const workload = cell.workload ?? { name: 'none' };
  return {
    scenario: cell.scenario,
    hardware: findHardware('dev-laptop')!,
    os: findImage('firecracker-minimal') ?? findImage('alpine-3.22')!,
    app: {
      name: cell.workload ? workload.name : 'busybox-echo',
      sizeMiB: 0,
      startMcycles: 1,
      workingSetMiB: 1,
      demandCores: 0.05,
      writtenMiB: 0,
    },
    workload: { ...NO_WORK, ...workload },
    density: { targetCpuUtilization: 0.8, vcpuOvercommit: 4, memoryOvercommit: 1, pageSharing: false, fleetSize: 10 },
    options: {
      memoryMiB: 256,
      vcpus: 1,
      image: 'alpine-3.22',
      imageCached: true,
      network: cell.network ?? 'host',
      pinning: false,
      linkedClones: false,
      real: cell.real ?? QUICK_REAL,
    },
    repetitions: cell.repetitions ?? 3,
    seed: 1,
    metrics: cell.metrics ?? ['boot_time', 'image_size', 'density', 'overhead', 'isolation'],
  };
}

/** What a skipped test's title says: why the driver cannot run here and what to install. */
export function skipNote(availability: Availability): string {
  return availability.available
    ? ''
    : ` (skipped: ${availability.reasons.join('; ')}; Debian packages: ${availability.packages.join(' ') || 'none'})`;
}
