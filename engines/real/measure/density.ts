import { statfs } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { mean } from '../../shared/stats.js';
import type { Cell, DensityResource } from '../../types.js';
import type { DriverSession, IdleInstance } from '../driver-spec.js';
import { cpuSeconds, hostMemory, processTree, pssKiB } from '../host/procfs.js';
import { defaultMemoryBudgetMiB, type ResolvedRealOptions } from '../options.js';

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

/** An observation of no instances costs nothing. */
const meanOrZero = (values: readonly number[]): number => (values.length === 0 ? 0 : mean(values));

/**
 * Instances per host from measured per-instance costs, each resource on its own, the scarcest
 * binding — the same rule the model applies to its predicted costs. Memory is the measured PSS;
 * CPU is the measured idle use plus what the scenario's application would add; storage is what
 * each instance wrote plus the application's data.
 */
export function extrapolateDensity(observed: DensityObservation, host: DensityHost): DensityEstimate {
  const memoryPerInstanceMiB = meanOrZero(observed.pssKiB) / 1024;
  const cpuPerInstanceCores = meanOrZero(observed.idleCores) + host.appDemandCores;
  const storagePerInstanceMiB = meanOrZero(observed.storageBytes) / 2 ** 20 + host.appWrittenMiB;
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

interface DensityOutcome {
  readonly samples: Record<string, number[]>;
  readonly binding: DensityResource;
  readonly instances: number;
}

/** Starts N idle instances together (the one deliberate overlap), measures them, stops them. */
export async function measureDensity(
  session: DriverSession,
  cell: Cell,
  options: ResolvedRealOptions,
  notes: string[],
): Promise<DensityOutcome | undefined> {
  const memory = await hostMemory();
  const availableMiB = memory.availableKiB / 1024;
  const budgetMiB = options.densityMemoryBudgetMiB ?? defaultMemoryBudgetMiB(availableMiB);
  const count = densityInstanceCount(options.densityInstances, budgetMiB, session.idleEstimateMiB);
  if (count < 1) {
    notes.push(
      `density skipped: one instance (~${session.idleEstimateMiB} MiB) exceeds the ${Math.round(budgetMiB)} MiB budget`,
    );
    return undefined;
  }
  const instances: IdleInstance[] = [];
  try {
    for (let i = 0; i < count; i++) instances.push(await session.startIdle(i));
    await sleep(1000); // let start-up work settle before reading memory and CPU
    const trees = await Promise.all(instances.map(async (instance) => processTree(await instance.pids())));
    const cpuBefore = await Promise.all(trees.map((tree) => sumOf(tree, cpuSeconds)));
    const started = performance.now();
    await sleep(2000);
    const cpuAfter = await Promise.all(trees.map((tree) => sumOf(tree, cpuSeconds)));
    const wallSeconds = (performance.now() - started) / 1000;
    const pss = await Promise.all(trees.map((tree) => sumOf(tree, pssKiB)));
    const storage = await Promise.all(instances.map((instance) => instance.storageBytes()));
    const idleCores = cpuAfter.map((after, i) => Math.max(0, after - cpuBefore[i]!) / wallSeconds);
    const fs = await statfs(tmpdir());
    const estimate = extrapolateDensity(
      { pssKiB: pss, idleCores, storageBytes: storage },
      {
        availableMiB,
        hostThreads: availableParallelism(),
        freeStorageMiB: (fs.bavail * fs.bsize) / 2 ** 20,
        targetCpuUtilization: cell.density.targetCpuUtilization,
        appDemandCores: cell.app.demandCores,
        appWrittenMiB: cell.app.writtenMiB,
        ...(session.isVm ? { vcpuOvercommit: cell.density.vcpuOvercommit, vcpus: cell.options.vcpus } : {}),
      },
    );
    notes.push(
      `density: ${count} idle instances (budget ${Math.round(budgetMiB)} MiB), PSS ${(estimate.memoryPerInstanceMiB).toFixed(1)} MiB and ` +
        `${(estimate.cpuPerInstanceCores - cell.app.demandCores).toFixed(3)} idle cores each; ${Math.round(availableMiB)} MiB available`,
    );
    const samples: Record<string, number[]> = {
      density: [estimate.instances],
      'density.memory_per_instance': pss.map((kib) => kib / 1024),
    };
    for (const [resource, limit] of Object.entries(estimate.limits)) {
      if (Number.isFinite(limit)) samples[`density.${resource}`] = [limit];
    }
    return { samples, binding: estimate.binding, instances: estimate.instances };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop().catch(() => undefined)));
  }
}

async function sumOf(pids: readonly number[], read: (pid: number) => Promise<number>): Promise<number> {
  const values = await Promise.all(pids.map(read));
  return values.reduce((a, b) => a + b, 0);
}
