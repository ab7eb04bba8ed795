import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, percentile } from '../../shared/stats.js';
import type { StormSettings } from '../../types.js';
import type { DriverSession, IdleInstance } from '../driver-spec.js';
import { cpuSnapshot, cpuUsage, describeUsage, saturatedResource } from '../host/cpu-usage.js';
import { hostMemory } from '../host/procfs.js';
import { startInstance } from '../host/spawn.js';
import { defaultMemoryBudgetMiB, type ResolvedRealOptions } from '../options.js';

/**
 * A real boot storm: K instances of one driver started together (or at an arrival rate) on this
 * host while N instances of it already run, each timed from its own start request to its
 * readiness line. Instances are started through the driver's idle-instance path, the one
 * density uses, because a storm needs K instances alive at once under names of their own.
 */

/** Background instances are started this many at a time, before the storm and off its clock. */
const BACKGROUND_START_CONCURRENCY = 4;

/** Idle-instance indices of background instances start here, so they never meet a storm's. */
const BACKGROUND_INDEX_BASE = 100_000;

/** How a storm is sized against the host: what the scenario asked, and what the budget allows. */
export interface StormSize {
  readonly instances: number;
  readonly running: number;
  /** Instances the memory budget holds at the driver's idle estimate. */
  readonly capacity: number;
  readonly budgetMiB: number;
}

/** Why a storm cannot run as asked, or undefined when it fits. */
export function stormOverBudget(size: StormSize, estimateMiB: number): string | undefined {
  if (size.instances + size.running <= size.capacity) return undefined;
  return (
    `a storm of ${size.instances} with ${size.running} already running needs about ` +
    `${Math.round((size.instances + size.running) * estimateMiB)} MiB (${estimateMiB} MiB each), over the ` +
    `${Math.round(size.budgetMiB)} MiB memory budget (real.densityMemoryBudgetMiB; default 25% of MemAvailable, at most 4 GiB)`
  );
}

/** Storms run for one cell: enough that every cell has about `samples` start latencies, at most `most` storms. */
export function stormRounds(instances: number, samples: number, most = 5): number {
  return Math.max(1, Math.min(most, Math.ceil(samples / instances)));
}

export interface StormRound {
  /** Each instance's start request to its readiness, ms. */
  readonly latenciesMs: readonly number[];
  /** The first start request to the last readiness, ms. */
  readonly allReadyMs: number;
  readonly saturation: string;
  readonly saturatedResource: ReturnType<typeof saturatedResource>['resource'];
}

export interface StormOutcome {
  readonly samples: Record<string, number[]>;
  readonly details: Record<string, string>;
}

/** The storm's figures in the metric ids the model's boot-storm simulation reports. */
export function stormSamples(rounds: readonly StormRound[], cores: number): StormOutcome {
  const latencies = rounds.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const rates = rounds.map((r) => (r.latenciesMs.length * 1000) / Math.max(r.allReadyMs, 1e-9));
  const counts = new Map<string, number>();
  for (const r of rounds) counts.set(r.saturatedResource, (counts.get(r.saturatedResource) ?? 0) + 1);
  const last = rounds[rounds.length - 1];
  return {
    samples: {
      boot_storm: rounds.map((r) => r.allReadyMs),
      'boot_storm.p50': [percentile(latencies, 50)],
      'boot_storm.p99': [percentile(latencies, 99)],
      'boot_storm.rate': rates,
      'boot_storm.rate_per_core': rates.map((rate) => rate / cores),
    },
    details: last ? { boot_storm: last.saturation } : {},
  };
}

/**
 * Measures the storm the cell asks for: starts the background instances, then runs the storm
 * `rounds` times, each time stopping the storm's instances before the next. Everything started
 * is stopped before this returns or throws.
 */
export async function measureStorm(
  session: DriverSession,
  settings: StormSettings,
  options: ResolvedRealOptions,
  busybox: string,
  notes: string[],
): Promise<StormOutcome | { readonly unsuitable: string }> {
  const memory = await hostMemory();
  const budgetMiB = options.densityMemoryBudgetMiB ?? defaultMemoryBudgetMiB(memory.availableKiB / 1024);
  const size: StormSize = {
    instances: settings.instances,
    running: settings.running ?? 0,
    capacity: Math.floor(budgetMiB / session.idleEstimateMiB),
    budgetMiB,
  };
  const over = stormOverBudget(size, session.idleEstimateMiB);
  if (over) return { unsuitable: over };
  const background: IdleInstance[] = [];
  try {
    for (let next = 0; next < size.running; next += BACKGROUND_START_CONCURRENCY) {
      const batch = Math.min(BACKGROUND_START_CONCURRENCY, size.running - next);
      const started = await Promise.allSettled(
        Array.from({ length: batch }, (_, i) => session.startIdle(BACKGROUND_INDEX_BASE + next + i)),
      );
      for (const result of started) if (result.status === 'fulfilled') background.push(result.value);
      const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw new Error(`starting the ${size.running} background instances failed: ${reason(failed)}`);
    }
    const harnessMs = await harnessRoundTripMs(busybox, options.timeoutMs);
    const rounds: StormRound[] = [];
    const count = stormRounds(size.instances, options.bootIterations);
    for (let round = 0; round < count; round++) {
      rounds.push(await stormRound(session, size.instances, settings.arrivalRate, round * size.instances, harnessMs));
    }
    notes.push(
      `boot_storm: ${count} storm${count === 1 ? '' : 's'} of ${size.instances} with ${size.running} running, ` +
        `each instance timed from its own start request to its readiness line through the driver's idle-instance start, ` +
        `less the harness's own round trip (${harnessMs.toFixed(1)} ms, median of ${HARNESS_SAMPLES} starts of busybox echo); ` +
        `last storm: ${rounds[rounds.length - 1]!.saturation}`,
    );
    return stormSamples(rounds, availableParallelism());
  } finally {
    await Promise.all(background.map((instance) => instance.stop().catch(() => undefined)));
  }
}

/** Starts of a no-op instance timed to find what the harness adds to every start. */
const HARNESS_SAMPLES = 7;
const HARNESS_MARKER = 'virtbench-storm-harness';

/**
 * What starting an instance through this process costs by itself: Node spawning a child and
 * reading its first line back. It is taken out of every storm latency, as hyperfine takes out
 * the start of its shell.
 */
async function harnessRoundTripMs(busybox: string, timeoutMs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < HARNESS_SAMPLES; i++) {
    const instance = await startInstance([busybox, 'echo', HARNESS_MARKER], { marker: HARNESS_MARKER, timeoutMs });
    times.push(instance.readyMs);
    await instance.waitExit(timeoutMs).catch(() => instance.kill());
  }
  return median(times);
}

async function stormRound(
  session: DriverSession,
  instances: number,
  arrivalRate: number,
  firstIndex: number,
  harnessMs: number,
): Promise<StormRound> {
  const spacingMs = arrivalRate > 0 ? 1000 / arrivalRate : 0;
  const started: IdleInstance[] = [];
  const before = await cpuSnapshot();
  const origin = performance.now();
  try {
    const outcomes = await Promise.allSettled(
      Array.from({ length: instances }, async (_, i) => {
        if (spacingMs > 0) await sleep(Math.max(0, origin + i * spacingMs - performance.now()));
        const requested = performance.now();
        const instance = await session.startIdle(firstIndex + i);
        const ready = performance.now();
        started.push(instance);
        return { latencyMs: Math.max(0, ready - requested - harnessMs), readyAt: ready - harnessMs };
      }),
    );
    const after = await cpuSnapshot();
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw new Error(`a start in a storm of ${instances} failed: ${reason(failed)}`);
    const ready = outcomes.map((o) => (o as PromiseFulfilledResult<{ latencyMs: number; readyAt: number }>).value);
    const usage = cpuUsage(before, after, availableParallelism());
    return {
      latenciesMs: ready.map((r) => r.latencyMs),
      allReadyMs: Math.max(...ready.map((r) => r.readyAt)) - origin,
      saturation: describeUsage(usage),
      saturatedResource: saturatedResource(usage).resource,
    };
  } finally {
    await Promise.all(started.map((instance) => instance.stop().catch(() => undefined)));
  }
}

function reason(result: PromiseRejectedResult): string {
  return result.reason instanceof Error ? result.reason.message : String(result.reason);
}
