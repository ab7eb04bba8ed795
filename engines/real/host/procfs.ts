import { readdir, readFile } from 'node:fs/promises';

/** Readings from /proc: memory, process trees, proportional set size and CPU time. */

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat, fixed at 100 on Linux for user space. */
export const USER_HZ = 100;

export interface HostMemory {
  readonly totalKiB: number;
  readonly availableKiB: number;
}

export async function hostMemory(): Promise<HostMemory> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const field = (name: string): number => {
    const match = text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
    if (!match) throw new Error(`/proc/meminfo has no ${name}`);
    return Number(match[1]);
  };
  return { totalKiB: field('MemTotal'), availableKiB: field('MemAvailable') };
}

/** The fields of /proc/<pid>/stat that virtbench reads. */
export interface StatLine {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime: its own CPU, in USER_HZ ticks. */
  readonly ticks: number;
  /** cutime + cstime: the CPU of the children it has waited for. */
  readonly childTicks: number;
  /** Start time since boot, in ticks: tells a reused pid from the process seen before. */
  readonly startTicks: number;
}

export function parseStat(text: string): StatLine | undefined {
  // The command name may contain spaces and parentheses: fields resume after the last ')'.
  const close = text.lastIndexOf(')');
  const open = text.indexOf('(');
  if (close < 0 || open < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is state (field 3), so field n is fields[n - 3].
  const field = (n: number): number => Number(fields[n - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    ppid: field(4),
    comm: text.slice(open + 1, close),
    ticks: field(14) + field(15),
    childTicks: field(16) + field(17),
    startTicks: field(22),
  };
}

async function readStat(pid: number): Promise<StatLine | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process's stat line; processes that exit while they are read are left out. */
export async function allProcesses(): Promise<StatLine[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const stats = await Promise.all(pids.map(readStat));
  return stats.filter((s): s is StatLine => s !== undefined);
}

/** The given processes and all their descendants, each once. */
export async function processTree(roots: readonly number[]): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const p of await allProcesses()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/**
 * Proportional set size of a process, KiB: each page it maps, divided by the number of
 * processes that map it. Summing PSS over an instance's processes charges shared pages
 * (busybox text, QEMU's libraries) fairly between instances. 0 for a process that is gone.
 */
export async function pssKiB(pid: number): Promise<number> {
  return (await memoryRollup(pid)).pssKiB;
}

/** What a process maps, from smaps_rollup: its PSS and the pages only it maps, KiB. */
export interface MemoryRollup {
  readonly pssKiB: number;
  readonly privateKiB: number;
}

export function parseRollup(text: string): MemoryRollup {
  const field = (name: string): number => Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
  return { pssKiB: field('Pss'), privateKiB: field('Private_Clean') + field('Private_Dirty') };
}

/** A process's memory rollup; nothing for a process that is gone. */
export async function memoryRollup(pid: number): Promise<MemoryRollup> {
  try {
    return parseRollup(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return { pssKiB: 0, privateKiB: 0 };
  }
}

/** User plus system CPU time of a process so far, seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readStat(pid);
  return stat ? stat.ticks / USER_HZ : 0;
}
