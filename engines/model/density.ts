import type { Cell, DensityResource } from '../types.js';
import { imageFootprint } from './image.js';
import { effectiveCpuFraction } from './overhead.js';
import { isVmKind, type ModeledEngineSpec } from './params.js';

export interface DensityResult {
  readonly instances: number;
  readonly binding: DensityResource;
  /** Instances each resource alone would allow. */
  readonly limits: Record<DensityResource, number>;
  /** Host memory one instance takes, MiB. */
  readonly memoryPerInstanceMiB: number;
}

/**
 * Instances that fit on the host: each resource is provisioned separately, and the scarcest one
 * binds. A VM reserves its guest RAM (less what overcommit and page sharing reclaim) plus the
 * VMM; a container costs its working set (plus what a sandbox kernel keeps beside it) and its shim.
 */
export function density(engine: ModeledEngineSpec, cell: Cell): DensityResult {
  const { hardware: hw, density: policy, app, os, options } = cell;
  const vm = isVmKind(engine.kind);

  let memoryPerInstanceMiB: number;
  if (vm) {
    const guest = options.memoryMiB / policy.memoryOvercommit;
    const shared = policy.pageSharing
      ? engine.memory.pageSharingFraction.value * Math.min(os.guestOsMemoryMiB.value, guest)
      : 0;
    memoryPerInstanceMiB = guest - shared + engine.memory.instanceOverheadMiB.value;
  } else {
    const workingSetMiB = app.workingSetMiB * (1 + engine.memory.workingSetOverheadFraction.value);
    memoryPerInstanceMiB = workingSetMiB + engine.memory.instanceOverheadMiB.value;
  }
  const usableMiB = hw.memory.gib * 1024 - engine.memory.hostReserveMiB.value;
  const memory = Math.floor(Math.max(0, usableMiB) / memoryPerInstanceMiB);

  const hostThreads = hw.cpu.sockets * hw.cpu.coresPerSocket * hw.cpu.threadsPerCore;
  const demand = app.demandCores * (1 + effectiveCpuFraction(engine, cell));
  let cpu = demand > 0 ? Math.floor((hostThreads * policy.targetCpuUtilization) / demand) : Infinity;
  if (vm) cpu = Math.min(cpu, Math.floor((hostThreads * policy.vcpuOvercommit) / options.vcpus));

  const image = imageFootprint(engine, cell);
  const capacityMiB = hw.storage.capacityGiB * 1024 - image.sharedMiB;
  const storage = image.perInstanceMiB > 0 ? Math.floor(Math.max(0, capacityMiB) / image.perInstanceMiB) : Infinity;

  const limits: Record<DensityResource, number> = { memory, cpu, storage };
  let binding: DensityResource = 'memory';
  for (const resource of ['cpu', 'storage'] as const) {
    if (limits[resource] < limits[binding]) binding = resource;
  }
  return { instances: limits[binding], binding, limits, memoryPerInstanceMiB };
}
