import type { DensityResource } from '../../types.js';

/** What was measured on N idle instances running together. */
export interface DensityObservation {
  /** PSS of each instance, all its processes summed, KiB. */
  readonly pssKiB: readonly number[];
  /** CPU each idle instance used, in cores (CPU seconds per wall second). */
  readonly idleCores: readonly number[];
  /** Disk bytes each instance owns beyond the shared image. */
  readonly storageBytes: readonly number[];
}

/** The host and policy the observation is extrapolated to. */
export interface DensityHost {
  /** Memory free for instances (MemAvailable before they started), MiB. */
  readonly availableMiB: number;
  readonly hostThreads: number;
  /** Free space on the file system that holds instance state, MiB. */
  readonly freeStorageMiB: number;
  /** Share of host CPU instances may use (the scenario's density policy). */
  readonly targetCpuUtilization: number;
  /** Cores the application inside each instance would keep busy (the scenario's app). */
  readonly appDemandCores: number;
  /** Data the application inside each instance writes (the scenario's app), MiB. */
  readonly appWrittenMiB: number;
  /** VMs only: vCPUs per host thread the policy allows, and vCPUs per instance. */
  readonly vcpuOvercommit?: number;
  readonly vcpus?: number;
}

export interface DensityEstimate {
  readonly instances: number;
  readonly binding: DensityResource;
  readonly limits: Record<DensityResource, number>;
  readonly memoryPerInstanceMiB: number;
  readonly cpuPerInstanceCores: number;
  readonly storagePerInstanceMiB: number;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Instances per host from measured per-instance costs, each resource on its own, the scarcest
 * binding — the same rule the model applies to its predicted costs. Memory is the measured PSS;
 * CPU is the measured idle use plus what the scenario's application would add; storage is what
 * each instance wrote plus the application's data.
 */
export function extrapolateDensity(observed: DensityObservation, host: DensityHost): DensityEstimate {
  const memoryPerInstanceMiB = mean(observed.pssKiB) / 1024;
  const cpuPerInstanceCores = mean(observed.idleCores) + host.appDemandCores;
  const storagePerInstanceMiB = mean(observed.storageBytes) / 2 ** 20 + host.appWrittenMiB;
  const memory = memoryPerInstanceMiB > 0 ? Math.floor(host.availableMiB / memoryPerInstanceMiB) : Infinity;
  let cpu =
    cpuPerInstanceCores > 0
      ? Math.floor((host.hostThreads * host.targetCpuUtilization) / cpuPerInstanceCores)
      : Infinity;
  if (host.vcpuOvercommit !== undefined && host.vcpus !== undefined) {
    cpu = Math.min(cpu, Math.floor((host.hostThreads * host.vcpuOvercommit) / host.vcpus));
  }
  const storage = storagePerInstanceMiB > 0 ? Math.floor(host.freeStorageMiB / storagePerInstanceMiB) : Infinity;
  const limits: Record<DensityResource, number> = { memory, cpu, storage };
  let binding: DensityResource = 'memory';
  for (const resource of ['cpu', 'storage'] as const) {
    if (limits[resource] < limits[binding]) binding = resource;
  }
  return {
    instances: limits[binding],
    binding,
    limits,
    memoryPerInstanceMiB,
    cpuPerInstanceCores,
    storagePerInstanceMiB,
  };
}

/** How many idle instances to start: what the scenario asks for, capped by the memory budget. */
export function densityInstanceCount(requested: number, budgetMiB: number, estimatePerInstanceMiB: number): number {
  return Math.max(0, Math.min(requested, Math.floor(budgetMiB / estimatePerInstanceMiB)));
}
