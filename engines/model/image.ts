import type { Cell } from '../types.js';
import { APP_LAYER_COMPRESSION } from './boot.js';
import { isContainerKind, type ModeledEngineSpec } from './params.js';

export interface ImageFootprint {
  /** What one instance boots from, as stored on the host, MiB. */
  readonly onDiskMiB: number;
  /** What crosses the network to fetch it (registry layers), MiB; undefined for VM disks. */
  readonly compressedMiB?: number;
  /** Storage for the scenario's fleet of instances, sharing what the engine can share, MiB. */
  readonly fleetMiB: number;
  /** Storage that each additional instance adds, MiB. */
  readonly perInstanceMiB: number;
  /** Storage paid once however many instances run (shared layers, a linked-clone base), MiB. */
  readonly sharedMiB: number;
}

/**
 * Container images are layers shared by every container on the host, plus a thin writable layer
 * each. A VM disk holds an installed OS; full clones copy it, linked clones share a base and
 * keep a copy-on-write delta per instance.
 */
export function imageFootprint(engine: ModeledEngineSpec, cell: Cell): ImageFootprint {
  const { os, app, density, options } = cell;
  const fleet = density.fleetSize;
  if (engine.kind === 'native') {
    return footprint(app.sizeMiB, undefined, app.sizeMiB, app.writtenMiB, fleet);
  }
  if (isContainerKind(engine.kind)) {
    const onDisk = os.containerUnpackedMiB.value + app.sizeMiB;
    const compressed = os.containerCompressedMiB.value + app.sizeMiB * APP_LAYER_COMPRESSION;
    return footprint(onDisk, compressed, onDisk, app.writtenMiB, fleet);
  }
  const disk = os.vmInstalledMiB.value + app.sizeMiB;
  if (options.linkedClones) return footprint(disk, undefined, disk, app.writtenMiB, fleet);
  return footprint(disk, undefined, 0, disk + app.writtenMiB, fleet);
}

function footprint(
  onDiskMiB: number,
  compressedMiB: number | undefined,
  sharedMiB: number,
  perInstanceMiB: number,
  fleet: number,
): ImageFootprint {
  return { onDiskMiB, compressedMiB, sharedMiB, perInstanceMiB, fleetMiB: sharedMiB + perInstanceMiB * fleet };
}
