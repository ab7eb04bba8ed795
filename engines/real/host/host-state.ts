import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, REAL_RUN_ID } from './spawn.js';
import { TEMP_PREFIX } from './tempdir.js';

/**
 * Host state that container engines leave outside the folders virtbench gives them: cgroups,
 * mounts, shared run-time directories and daemonized helpers (shims, conmon). Every function is
 * synchronous so that teardowns can call it from a signal handler, and each touches only what
 * carries this run's id (or a run-id prefix, for leftovers of a killed run).
 */

/** The cgroup parent (one directory per hierarchy) a run's containers are placed under. */
export function runCgroupParent(runId: string = REAL_RUN_ID): string {
  return `virtbench-${runId}`;
}

/** Every cgroup hierarchy mounted on this host: v1 controllers, the hybrid unified tree, or the v2 root. */
function cgroupHierarchies(): string[] {
  const hierarchies = new Set<string>();
  for (const line of readMounts()) {
    const [, mountPoint, type] = line.split(' ');
    if ((type === 'cgroup' || type === 'cgroup2') && mountPoint) hierarchies.add(mountPoint);
  }
  return [...hierarchies];
}

function readMounts(): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Removes the cgroup directories named `name` (and everything under them) at the top of every
 * hierarchy, killing processes still in them first. Returns what it removed.
 */
export function removeCgroupTrees(matches: (name: string) => boolean): string[] {
  const removed: string[] = [];
  for (const hierarchy of cgroupHierarchies()) {
    let names: string[];
    try {
      names = readdirSync(hierarchy).filter(matches);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(hierarchy, name);
      if (isDirectory(dir) && removeCgroupDir(dir)) removed.push(dir);
    }
  }
  return removed;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** rmdir of a cgroup and its children, deepest first; a cgroup with live processes cannot go. */
function removeCgroupDir(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeCgroupDir(join(dir, entry.name));
  for (const pid of readPids(join(dir, 'cgroup.procs'))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      // Killed processes take a moment to leave the cgroup.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  return false;
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Lazily unmounts every mount at or below `prefix`, deepest first. Returns the mount points. */
export function unmountUnder(prefix: string): string[] {
  const points = readMounts()
    .map((line) => line.split(' ')[1]?.replaceAll('\\040', ' ') ?? '')
    .filter((point) => point === prefix || point.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
  // umount2(MNT_DETACH) through util-linux's umount: Node has no mount API.
  for (const point of points) spawnSync('umount', ['--lazy', point], { stdio: 'ignore', timeout: 10_000 });
  return points;
}

/**
 * Shared paths an engine creates whatever its flags say (podman's blob-info cache, containerd's
 * shim socket directory). Those that did not exist when the run began are removed at teardown:
 * files deleted, directories only if empty, so another user's state is never touched.
 */
export function sharedPathsCreatedDuring(paths: readonly string[]): () => string[] {
  const existed = new Set(paths.filter((path) => existsSync(path)));
  return () => {
    const removed: string[] = [];
    for (const path of paths) {
      if (existed.has(path) || !existsSync(path)) continue;
      try {
        if (statSync(path).isDirectory()) rmdirSync(path);
        else rmSync(path, { force: true });
        removed.push(path);
      } catch {
        // not empty: someone else uses it now
      }
    }
    return removed;
  };
}

/** Process ids whose command line contains `text`: a path holding a run's id names that run's helpers. */
export function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text))
        found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/** SIGKILLs each process (and its group when it leads one). */
export function killProcesses(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killGroup(pid);
    } catch {
      // already gone
    }
  }
}

/**
 * Whether the virtbench process that made a run id still runs: a cleaner must never remove what
 * a live run is using. Run ids are "<pid>-<time>".
 */
export function runIsAlive(runId: string): boolean {
  const pid = Number(runId.split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return pid === process.pid;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('virtbench');
  } catch {
    return false;
  }
}

/** A cell folder of a run whose virtbench process is gone. */
export interface DeadRunFolder {
  readonly runId: string;
  readonly folder: string;
}

/**
 * The temporary folders of driver `purpose` (makeTempDir's purpose) whose run id starts with
 * `runIdPrefix` and whose virtbench process no longer runs: what a cleaner may remove.
 */
export function deadRunFolders(purpose: string, runIdPrefix = ''): DeadRunFolder[] {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(`${TEMP_PREFIX}${runIdPrefix}`) && name.includes(`-${purpose}-`))
    .map((name) => ({
      // "<TEMP_PREFIX><pid>-<time>-<purpose>-<random>"
      runId: name.slice(TEMP_PREFIX.length).split('-').slice(0, 2).join('-'),
      folder: join(tmpdir(), name),
    }))
    .filter(({ runId }) => !runIsAlive(runId));
}
