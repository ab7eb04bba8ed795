import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../../shared/stats.js';
import type { DriverSession, IdleInstance } from '../driver-spec.js';
import { registerCleanup } from '../host/cleanup.js';
import { hostMemory, type MemoryRollup, memoryRollup, processTree } from '../host/procfs.js';
import { defaultMemoryBudgetMiB, type ResolvedRealOptions } from '../options.js';

/**
 * Density to failure: idle instances of one driver started a batch at a time until something
 * gives, reading after every batch what each instance costs and what the host has left. Where
 * the first failure is a limit (pids, open files, a start that errs or crawls) the curve names
 * it; where it is memory, the run stops well before the host would swap or call the OOM killer.
 */

/** Why the curve stopped. */
export type StopCondition =
  | { readonly kind: 'memory-budget'; readonly usedMiB: number; readonly budgetMiB: number }
  | { readonly kind: 'memory-floor'; readonly availableMiB: number; readonly floorMiB: number }
  | { readonly kind: 'start-failed'; readonly limit: string; readonly message: string }
  | { readonly kind: 'latency-ceiling'; readonly latencyMs: number; readonly ceilingMs: number }
  | { readonly kind: 'instance-limit'; readonly limit: number };

export function describeStop(stop: StopCondition): string {
  switch (stop.kind) {
    case 'memory-budget':
      return `memory budget: the instances took ${Math.round(stop.usedMiB)} MiB of the ${Math.round(stop.budgetMiB)} MiB budget`;
    case 'memory-floor':
      return `MemAvailable ${Math.round(stop.availableMiB)} MiB fell below the ${Math.round(stop.floorMiB)} MiB floor`;
    case 'start-failed':
      return `a start failed (${stop.limit}): ${stop.message}`;
    case 'latency-ceiling':
      return `a batch's median start took ${Math.round(stop.latencyMs)} ms, over the ${Math.round(stop.ceilingMs)} ms ceiling`;
    case 'instance-limit':
      return `instance limit reached (${stop.limit}; real.densityLimit)`;
  }
}

/**
 * The limit a failed start ran into, from its error text: the kernel's errno strings for the
 * pids and file limits, or the cgroup's own wording; otherwise just "error".
 */
export function limitOfFailure(message: string): string {
  if (/resource temporarily unavailable|EAGAIN|fork: retry|pids\.max|cannot fork/i.test(message)) return 'pids limit';
  if (/too many open files|EMFILE|ENFILE/i.test(message)) return 'open-file limit';
  if (/cannot allocate memory|ENOMEM|out of memory/i.test(message)) return 'memory';
  if (/no space left on device|ENOSPC/i.test(message)) return 'storage or inotify limit';
  if (/cgroup/i.test(message)) return 'cgroup limit';
  return 'error';
}

/** An instance's memory: its process tree's rollups summed. */
async function instanceMemory(instance: IdleInstance): Promise<MemoryRollup> {
  const tree = await processTree(await instance.pids());
  const parts = await Promise.all(tree.map(memoryRollup));
  return {
    pssKiB: parts.reduce((sum, p) => sum + p.pssKiB, 0),
    privateKiB: parts.reduce((sum, p) => sum + p.privateKiB, 0),
  };
}

/** One point of the curve: the host after a batch. */
export interface CurvePoint {
  readonly instances: number;
  /** Per instance, mean over all instances running, MiB. */
  readonly pssMiB: number;
  readonly privateMiB: number;
  readonly sharedMiB: number;
  readonly memAvailableMiB: number;
  /** Median start latency of the batch, ms. */
  readonly batchStartMs: number;
}

export interface DensitySettings {
  readonly budgetMiB: number;
  readonly floorMiB: number;
  readonly limit: number;
  readonly batch: number;
  /** Fixed ceiling, or undefined for a multiple of the first batch's median start. */
  readonly ceilingMs?: number;
}

/** A batch's start latency beyond this multiple of the first batch's counts as a failure to start. */
export const LATENCY_CEILING_FACTOR = 10;

/** The default MemAvailable floor: the larger of 1 GiB and a tenth of the host's memory. */
export function defaultMemoryFloorMiB(totalMiB: number): number {
  return Math.max(1024, totalMiB * 0.1);
}

/** Which condition, if any, the host meets after a batch. */
export function stopAfterBatch(
  point: CurvePoint,
  settings: DensitySettings,
  ceilingMs: number,
): StopCondition | undefined {
  const usedMiB = point.pssMiB * point.instances;
  if (point.memAvailableMiB < settings.floorMiB)
    return { kind: 'memory-floor', availableMiB: point.memAvailableMiB, floorMiB: settings.floorMiB };
  if (usedMiB >= settings.budgetMiB) return { kind: 'memory-budget', usedMiB, budgetMiB: settings.budgetMiB };
  if (point.batchStartMs > ceilingMs) return { kind: 'latency-ceiling', latencyMs: point.batchStartMs, ceilingMs };
  if (point.instances >= settings.limit) return { kind: 'instance-limit', limit: settings.limit };
  return undefined;
}

/**
 * The next batch's size: the configured batch, but never past the instance limit, nor past what
 * the budget holds at the memory per instance seen so far (so the curve ends near the budget
 * rather than a batch beyond it).
 */
export function nextBatchSize(points: readonly CurvePoint[], settings: DensitySettings, estimateMiB: number): number {
  const last = points[points.length - 1];
  const running = last?.instances ?? 0;
  const perInstance = Math.max(last?.pssMiB ?? estimateMiB, 0.01);
  const room = Math.floor((settings.budgetMiB - running * perInstance) / perInstance);
  return Math.max(1, Math.min(settings.batch, settings.limit - running, room));
}

export interface KsmReading {
  readonly pssMiB: number;
  readonly savedMiB: number;
  readonly fullScans: number;
}

export interface DensityCurve {
  readonly points: readonly CurvePoint[];
  readonly stop: StopCondition;
  readonly memAvailableBeforeMiB: number;
  readonly ksm?: KsmReading;
}

const KSM = '/sys/kernel/mm/ksm';

/**
 * Lets same-page merging settle over the running instances and reads their memory again: the
 * curve before and after merging. ksmd is switched on for the reading and the host's setting put
 * back after (unmerging first when it was off, so the host is left as it was); only memory its
 * owner marked mergeable (QEMU's guest RAM) is scanned, so containers do not change.
 */
async function readingWithKsm(instances: readonly IdleInstance[], timeoutMs: number): Promise<KsmReading | undefined> {
  let previous: string;
  try {
    previous = (await readFile(`${KSM}/run`, 'utf8')).trim();
  } catch {
    return undefined;
  }
  // Synchronous, as every teardown is: it may run from a signal handler. Writing 2 unmerges
  // every page ksmd merged, so a host that had it off is left with nothing merged.
  const restore = registerCleanup('same-page merging setting', () => {
    if (previous === '0') writeFileSync(`${KSM}/run`, '2');
    writeFileSync(`${KSM}/run`, previous);
  });
  try {
    const scans = async (): Promise<number> => Number((await readFile(`${KSM}/full_scans`, 'utf8')).trim());
    await writeFile(`${KSM}/run`, '1');
    // Read after switching on: changing the run setting may reset the count.
    const start = await scans();
    const deadline = performance.now() + timeoutMs;
    // Two full scans: the first marks candidates, the second merges them.
    while ((await scans()) < start + 2 && performance.now() < deadline) await sleep(500);
    const fullScans = (await scans()) - start;
    const saved = Number((await readFile(`${KSM}/pages_sharing`, 'utf8')).trim()) * 4;
    const memory = await Promise.all(instances.map(instanceMemory));
    const pssMiB = memory.reduce((s, m) => s + m.pssKiB, 0) / 1024 / Math.max(1, instances.length);
    return { pssMiB, savedMiB: saved / 1024, fullScans };
  } catch {
    return undefined;
  } finally {
    restore.release();
  }
}

/** How many times the kernel's OOM killer has run since boot (/proc/vmstat oom_kill). */
export async function oomKills(): Promise<number | undefined> {
  try {
    const match = (await readFile('/proc/vmstat', 'utf8')).match(/^oom_kill (\d+)$/m);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function measureDensityCurve(
  session: DriverSession,
  options: ResolvedRealOptions,
  notes: string[],
): Promise<DensityCurve> {
  const oomBefore = await oomKills();
  const memory = await hostMemory();
  const memAvailableBeforeMiB = memory.availableKiB / 1024;
  const settings: DensitySettings = {
    budgetMiB: options.densityMemoryBudgetMiB ?? defaultMemoryBudgetMiB(memAvailableBeforeMiB),
    floorMiB: options.densityMemoryFloorMiB ?? defaultMemoryFloorMiB(memory.totalKiB / 1024),
    limit: options.densityLimit,
    batch: options.densityBatch,
    ceilingMs: options.densityStartCeilingMs,
  };
  const instances: IdleInstance[] = [];
  const points: CurvePoint[] = [];
  let ceilingMs = settings.ceilingMs ?? Infinity;
  let stop: StopCondition | undefined;
  try {
    while (!stop) {
      const size = nextBatchSize(points, settings, session.idleEstimateMiB);
      const latencies: number[] = [];
      const outcomes = await Promise.allSettled(
        Array.from({ length: size }, async (_, i) => {
          const requested = performance.now();
          const instance = await session.startIdle(instances.length + i);
          latencies.push(performance.now() - requested);
          return instance;
        }),
      );
      for (const outcome of outcomes) if (outcome.status === 'fulfilled') instances.push(outcome.value);
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) {
        const message = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
        stop = { kind: 'start-failed', limit: limitOfFailure(message), message: message.split('\n')[0]!.slice(0, 300) };
        break;
      }
      const readings = await Promise.all(instances.map(instanceMemory));
      const pssMiB = readings.reduce((s, m) => s + m.pssKiB, 0) / 1024 / instances.length;
      const privateMiB = readings.reduce((s, m) => s + m.privateKiB, 0) / 1024 / instances.length;
      const point: CurvePoint = {
        instances: instances.length,
        pssMiB,
        privateMiB,
        sharedMiB: Math.max(0, pssMiB - privateMiB),
        memAvailableMiB: (await hostMemory()).availableKiB / 1024,
        batchStartMs: median(latencies),
      };
      points.push(point);
      if (points.length === 1 && settings.ceilingMs === undefined)
        ceilingMs = Math.max(point.batchStartMs * LATENCY_CEILING_FACTOR, 1000);
      stop = stopAfterBatch(point, settings, ceilingMs);
    }
    const ksm = await readingWithKsm(instances, options.timeoutMs);
    notes.push(
      `density_curve: ${instances.length} instances in ${points.length} batches, stopped by ${describeStop(stop)}` +
        (ksm
          ? `; same-page merging over ${ksm.fullScans} full scans saved ${ksm.savedMiB.toFixed(1)} MiB`
          : '; same-page merging (KSM) not available here'),
    );
    const oomAfter = await oomKills();
    if (oomBefore !== undefined && oomAfter !== undefined && oomAfter > oomBefore)
      notes.push(
        `density_curve: the kernel's OOM killer ran ${oomAfter - oomBefore} time(s) during the curve (/proc/vmstat oom_kill): lower real.densityMemoryBudgetMiB`,
      );
    return { points, stop, memAvailableBeforeMiB, ...(ksm ? { ksm } : {}) };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop().catch(() => undefined)));
  }
}

/** The curve as metric samples: one sample per batch for each series, the headline the count reached. */
export function densityCurveSamples(curve: DensityCurve): {
  samples: Record<string, number[]>;
  details: Record<string, string>;
} {
  const last = curve.points[curve.points.length - 1];
  const samples: Record<string, number[]> = {
    density_curve: [last?.instances ?? 0],
    'density_curve.instances': curve.points.map((p) => p.instances),
    'density_curve.pss_per_instance': curve.points.map((p) => p.pssMiB),
    'density_curve.private_per_instance': curve.points.map((p) => p.privateMiB),
    'density_curve.shared_per_instance': curve.points.map((p) => p.sharedMiB),
    'density_curve.mem_available': curve.points.map((p) => p.memAvailableMiB),
    'density_curve.start_latency': curve.points.map((p) => p.batchStartMs),
  };
  if (curve.ksm) {
    samples['density_curve.pss_per_instance_ksm'] = [curve.ksm.pssMiB];
    samples['density_curve.ksm_saved'] = [curve.ksm.savedMiB];
  }
  return { samples, details: { density_curve: `stopped by ${describeStop(curve.stop)}` } };
}
