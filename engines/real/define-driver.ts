import type { IdleInstance, RealDriver, RealDriverSpec } from './driver-spec.js';
import type { CleanupHandle } from './host/cleanup.js';
import { type Instance, runCommand } from './host/spawn.js';
import { measureCell } from './measure/cell.js';
import { exclusive } from './measure/exclusive.js';

/** Turns a driver spec into an Engine whose measure() boots, sizes, packs and loads the real thing. */
export function defineRealDriver(spec: RealDriverSpec): RealDriver {
  return {
    id: spec.id,
    title: spec.title,
    get kind() {
      return spec.kind();
    },
    driver: 'real',
    get modeledCounterpart() {
      return spec.modeledCounterpart();
    },
    spec,
    availability: (cell) => spec.availability(cell),
    measure: (cell) => exclusive(() => measureCell(spec, cell)),
  };
}

/** A container runtime, measured against the modeled engine of the same id. */
export function defineContainerDriver(spec: Omit<RealDriverSpec, 'kind' | 'modeledCounterpart'>): RealDriver {
  return defineRealDriver({ ...spec, kind: () => 'container', modeledCounterpart: () => spec.id });
}

/** An idle instance that is one host process tree owning no storage of its own. */
export function idleProcess(instance: Instance): IdleInstance {
  return { pids: async () => [instance.pid], storageBytes: async () => 0, stop: async () => instance.kill() };
}

/**
 * Runs one instance to completion (a workload run) and returns its output lines; `teardown`
 * removes what the instance leaves (its container, cgroups, state), whether it succeeded or not.
 */
export async function runInstanceOnce(
  argv: readonly string[],
  teardown: CleanupHandle,
  timeoutMs: number,
): Promise<string[]> {
  try {
    return (await runCommand(argv, { timeoutMs })).stdout.split('\n');
  } finally {
    teardown.release();
  }
}
