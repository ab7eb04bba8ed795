import type { Cell } from '../types.js';
import { isVmKind, type ModeledEngineSpec } from './params.js';

/**
 * Reasons this engine cannot host this cell, or none. Like a placement check, it answers with
 * reasons rather than throwing, so a run can report them and carry on with the other engines.
 */
export function unsuitability(engine: ModeledEngineSpec, cell: Cell): string[] {
  const reasons: string[] = [];
  const { hardware: hw, options, os, app } = cell;
  if (engine.requiresVirtualization && !hw.cpu.virtualization) {
    reasons.push(`${engine.id} needs hardware virtualization, which ${hw.id} does not expose`);
  }
  if (isVmKind(engine.kind)) {
    const hostThreads = hw.cpu.sockets * hw.cpu.coresPerSocket * hw.cpu.threadsPerCore;
    if (options.vcpus > hostThreads)
      reasons.push(`${options.vcpus} vCPUs exceed the ${hostThreads} host threads of ${hw.id}`);
    const needed = os.guestOsMemoryMiB.value + app.workingSetMiB;
    if (options.memoryMiB < needed) {
      reasons.push(
        `guest memory ${options.memoryMiB} MiB is below what ${os.id} (${os.guestOsMemoryMiB.value} MiB) and ${app.name} (${app.workingSetMiB} MiB) need`,
      );
    }
  }
  return reasons;
}
