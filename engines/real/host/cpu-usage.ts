import { readFile } from 'node:fs/promises';
import { allProcesses, type StatLine, USER_HZ } from './procfs.js';

/**
 * Where the host's CPU time went over an interval, from /proc alone: the whole host's busy and
 * iowait shares (/proc/stat), and the CPU each long-lived process used (/proc/<pid>/stat,
 * counting the children it reaped, so a daemon is charged for the short-lived runtimes it
 * forks). It names the resource a burst of starts saturates without guessing from the engine.
 */

/** Jiffies of the aggregate `cpu` line of /proc/stat. */
interface HostTicks {
  readonly busy: number;
  readonly iowait: number;
  readonly total: number;
}

/** What a snapshot keeps of a process: its name, CPU ticks and start time. */
type ProcessTicks = Pick<StatLine, 'comm' | 'ticks' | 'childTicks' | 'startTicks'>;

export interface CpuSnapshot {
  readonly at: number;
  readonly host: HostTicks;
  readonly processes: ReadonlyMap<number, ProcessTicks>;
}

/** One process name's CPU over an interval, in cores (CPU seconds per wall second). */
export interface ProcessCpu {
  readonly comm: string;
  readonly cores: number;
  /** The most any single process of this name used: a serialised daemon shows as one core. */
  readonly busiestProcessCores: number;
}

export interface CpuUsage {
  readonly wallSeconds: number;
  /** Share of all host CPU time spent running (user, system, irq, steal), 0 to 1. */
  readonly busyShare: number;
  /** Share of all host CPU time idle while waiting on I/O, 0 to 1. */
  readonly iowaitShare: number;
  /** Process names by CPU used over the interval, most first; only processes alive at both ends. */
  readonly topProcesses: readonly ProcessCpu[];
}

/** Parses the `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal. */
export function parseHostTicks(procStat: string): HostTicks {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, iowait, total: busy + idle + iowait };
}

export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const at = performance.now();
  const host = parseHostTicks(await readFile('/proc/stat', 'utf8'));
  const processes = new Map<number, ProcessTicks>((await allProcesses()).map((p) => [p.pid, p]));
  return { at, host, processes };
}

/**
 * What happened between two snapshots; `top` limits the processes listed. A process is charged
 * its own CPU plus its reaped children's, unless the children's part is more than the host could
 * have run in the interval: then the child ran mostly before it (a shell reaping a long build).
 */
export function cpuUsage(before: CpuSnapshot, after: CpuSnapshot, hostThreads: number, top = 3): CpuUsage {
  const wallSeconds = Math.max(1e-9, (after.at - before.at) / 1000);
  const total = Math.max(1, after.host.total - before.host.total);
  const mostTicks = wallSeconds * hostThreads * USER_HZ;
  const byName = new Map<string, { seconds: number; busiest: number }>();
  for (const [pid, end] of after.processes) {
    const start = before.processes.get(pid);
    if (!start || start.startTicks !== end.startTicks) continue;
    const own = Math.max(0, end.ticks - start.ticks);
    const children = Math.max(0, end.childTicks - start.childTicks);
    const seconds = (children <= mostTicks ? own + children : own) / USER_HZ;
    if (seconds === 0) continue;
    const entry = byName.get(end.comm) ?? { seconds: 0, busiest: 0 };
    entry.seconds += seconds;
    entry.busiest = Math.max(entry.busiest, seconds);
    byName.set(end.comm, entry);
  }
  const topProcesses = [...byName]
    .map(([comm, { seconds, busiest }]) => ({
      comm,
      cores: seconds / wallSeconds,
      busiestProcessCores: busiest / wallSeconds,
    }))
    .sort((a, b) => b.cores - a.cores || a.comm.localeCompare(b.comm))
    .slice(0, top);
  return {
    wallSeconds,
    busyShare: (after.host.busy - before.host.busy) / total,
    iowaitShare: (after.host.iowait - before.host.iowait) / total,
    topProcesses,
  };
}

/** Host CPU at or above this busy share counts as saturated. */
export const CPU_SATURATED_SHARE = 0.85;
/** Time waiting on I/O at or above this share of all CPU time counts as a saturated disk. */
export const DISK_SATURATED_IOWAIT_SHARE = 0.2;
/** One process using this much of a core while the host has room is a serialised section. */
export const SERIAL_PROCESS_CORES = 0.8;

export type SaturatedResource =
  | { readonly resource: 'cpu'; readonly busyShare: number }
  | { readonly resource: 'disk'; readonly iowaitShare: number }
  | { readonly resource: 'process'; readonly comm: string; readonly cores: number }
  | { readonly resource: 'none' };

/**
 * The host resource a burst saturated: the CPU when the host was busy nearly all the time, the
 * disk when CPUs sat waiting on I/O, one process (a daemon's lock, a single-threaded VMM path)
 * when it kept a core busy while the host had room, and none when starts were bound by their
 * own latency.
 */
export function saturatedResource(usage: CpuUsage): SaturatedResource {
  if (usage.busyShare >= CPU_SATURATED_SHARE) return { resource: 'cpu', busyShare: usage.busyShare };
  if (usage.iowaitShare >= DISK_SATURATED_IOWAIT_SHARE) return { resource: 'disk', iowaitShare: usage.iowaitShare };
  const serial = usage.topProcesses.find((p) => p.busiestProcessCores >= SERIAL_PROCESS_CORES);
  if (serial) return { resource: 'process', comm: serial.comm, cores: serial.busiestProcessCores };
  return { resource: 'none' };
}

export function describeUsage(usage: CpuUsage): string {
  const saturated = saturatedResource(usage);
  const head =
    saturated.resource === 'cpu'
      ? `cpu saturated (${percent(usage.busyShare)} busy)`
      : saturated.resource === 'disk'
        ? `disk saturated (${percent(usage.iowaitShare)} iowait)`
        : saturated.resource === 'process'
          ? `${saturated.comm} saturated (${saturated.cores.toFixed(2)} cores in one process)`
          : `none saturated (${percent(usage.busyShare)} busy, ${percent(usage.iowaitShare)} iowait)`;
  const top = usage.topProcesses.map((p) => `${p.comm} ${p.cores.toFixed(2)}`).join(', ');
  return top ? `${head}; cores by process: ${top}` : head;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
