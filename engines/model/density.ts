import type { Cell, DensityResource } from '../types.js';
import { imageFootprint } from './image.js';
import { effectiveCpuFraction } from './overhead.js';
import { isVmKind, type ModeledEngineSpec } from './params.js';

/** One instance's memory as the host sees it, MiB. */
export interface InstanceMemory {
  /**
   * What the host really holds: the guest pages a VM has touched (its OS and the application's
   * working set, less what same-page merging reclaims) plus the VMM; a container's working set,
   * capped by its memory limit, plus its shim.
   */
  readonly residentMiB: number;
  /** What the configuration claims: guest RAM plus the VMM; a container's memory limit (else its resident memory) plus its shim. */
  readonly reservedMiB: number;
  /** The part of the reservation an overcommit ratio may promise more than once: guest RAM, or the container limit. */
  readonly claimMiB: number;
  /** What the engine adds per instance outside the claim: VMM process, shim, sandbox kernel. */
  readonly overheadMiB: number;
}

export function instanceMemory(engine: ModeledEngineSpec, cell: Cell): InstanceMemory {
  const { density: policy, app, os, options } = cell;
  const overheadMiB = engine.memory.instanceOverheadMiB.value;
  if (isVmKind(engine.kind)) {
    // A guest touches its own OS and the application's working set; lazy allocation, a balloon or
    // free page reporting leaves the rest of its RAM with the host. It cannot touch more than it has.
    const touched = Math.min(os.guestOsMemoryMiB.value + app.workingSetMiB, options.memoryMiB);
    const shared = policy.pageSharing
      ? engine.memory.pageSharingFraction.value * Math.min(os.guestOsMemoryMiB.value, touched)
      : 0;
    return {
      residentMiB: touched - shared + overheadMiB,
      reservedMiB: options.memoryMiB + overheadMiB,
      claimMiB: options.memoryMiB,
      overheadMiB,
    };
  }
  const workingSetMiB = app.workingSetMiB * (1 + engine.memory.workingSetOverheadFraction.value);
  const limit = options.memoryLimitMiB;
  const usedMiB = limit === undefined ? workingSetMiB : Math.min(workingSetMiB, limit);
  const claimMiB = limit ?? usedMiB;
  return { residentMiB: usedMiB + overheadMiB, reservedMiB: claimMiB + overheadMiB, claimMiB, overheadMiB };
}

/**
 * Host memory charged to one instance when packing the host. Under the resident policy the host
 * must hold what every instance touches, and promises no more than `memoryOvercommit` x its
 * memory in claims: with overcommit off (1) that makes the reservation bind, and as the ratio
 * grows the resident memory takes over. Under the reserved policy every claimed page is backed,
 * whatever the ratio. A ratio below 1 keeps claims below host memory under either policy.
 */
export function chargedMemoryMiB(memory: InstanceMemory, cell: Cell): number {
  const { memoryPolicy, memoryOvercommit } = cell.density;
  const admittedMiB = memory.claimMiB / memoryOvercommit + memory.overheadMiB;
  return Math.max(memoryPolicy === 'reserved' ? memory.reservedMiB : memory.residentMiB, admittedMiB);
}

export interface DensityResult {
  readonly instances: number;
  readonly binding: DensityResource;
  /** Instances each resource alone would allow. */
  readonly limits: Record<DensityResource, number>;
  /** Host memory one instance holds (resident), MiB. */
  readonly memoryPerInstanceMiB: number;
  /** Host memory one instance's configuration claims (reserved), MiB. */
  readonly memoryReservedMiB: number;
}

/**
 * Instances that fit on the host: each resource is provisioned separately, and the scarcest one
 * binds. Memory is charged by the scenario's memory policy (chargedMemoryMiB).
 */
export function density(engine: ModeledEngineSpec, cell: Cell): DensityResult {
  const { hardware: hw, density: policy, app, options } = cell;
  const vm = isVmKind(engine.kind);

  const memoryOfOne = instanceMemory(engine, cell);
  const usableMiB = hw.memory.gib * 1024 - engine.memory.hostReserveMiB.value;
  const memory = Math.floor(Math.max(0, usableMiB) / chargedMemoryMiB(memoryOfOne, cell));

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
  return {
    instances: limits[binding],
    binding,
    limits,
    memoryPerInstanceMiB: memoryOfOne.residentMiB,
    memoryReservedMiB: memoryOfOne.reservedMiB,
  };
}
