import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostLoad } from '../../shared/environment.js';

/**
 * How busy the host is before real drivers measure on it. Boot times and overheads are measured
 * as wall-clock time, so every other runnable task and every tick a hypervisor gives to another
 * guest ends up in the figures as noise, or as a bias that looks like an engine's cost.
 */

/** A 1-minute load average above this share of the cores means other work competes for them. */
export const LOADED_PER_CORE = 0.5;
/** Steal time above this percentage means the hypervisor below shares the cores with other guests. */
export const STEAL_WARNING_PERCENT = 2;

/** The busy and steal ticks of the aggregate `cpu` line of /proc/stat. */
function cpuTicks(stat: string): { total: number; steal: number } | undefined {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user and nice]
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) return undefined;
  return { total: fields.reduce((sum, f) => sum + f, 0), steal: fields[7]! };
}

/**
 * The 1-minute load average and the steal time over a short interval, from `proc` (/proc);
 * undefined where they cannot be read (not Linux).
 */
export async function sampleHostLoad(intervalMs = 250, proc = '/proc'): Promise<HostLoad | undefined> {
  try {
    const before = cpuTicks(await readFile(`${proc}/stat`, 'utf8'));
    await sleep(intervalMs);
    const after = cpuTicks(await readFile(`${proc}/stat`, 'utf8'));
    const loadAverage1m = Number((await readFile(`${proc}/loadavg`, 'utf8')).split(/\s+/)[0]);
    if (!before || !after || !Number.isFinite(loadAverage1m)) return undefined;
    const elapsed = after.total - before.total;
    const stealPercent = elapsed > 0 ? Math.round((10_000 * (after.steal - before.steal)) / elapsed) / 100 : 0;
    return { loadAverage1m, cores: availableParallelism(), stealPercent };
  } catch {
    return undefined;
  }
}

/** What about the host's load makes real measurements less trustworthy; empty when nothing does. */
export function loadWarnings(load: HostLoad): string[] {
  const warnings: string[] = [];
  if (load.loadAverage1m > LOADED_PER_CORE * load.cores)
    warnings.push(
      `the host is loaded: 1-minute load average ${load.loadAverage1m} on ${load.cores} cores (above ${LOADED_PER_CORE} per core); other work competes with the measurements, so expect noisier, slower figures`,
    );
  if (load.stealPercent > STEAL_WARNING_PERCENT)
    warnings.push(
      `the hypervisor below steals ${load.stealPercent}% of the CPU time (above ${STEAL_WARNING_PERCENT}%): other guests share these cores, so expect noisier, slower figures`,
    );
  return warnings;
}
