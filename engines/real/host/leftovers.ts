import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCleanup } from './cleanup.js';
import { findTool, killGroup, REAL_RUN_ID, RUN_ENV, runCommandSync } from './spawn.js';
import { TEMP_PREFIX } from './tempdir.js';

/**
 * What a real run leaves on the host when it cannot tear down (kill -9, a crash, a power cut),
 * found by the labels every resource carries and removed by the next run or `virtbench clean`.
 *
 * Every label holds the run id "<pid>-<start time in base 36>": container ids, cgroup folders,
 * machine names and label values are `virtbench-<run id>-<name>`, temporary directories
 * `virtbench-real-<run id>-...`, processes carry VIRTBENCH_REAL_RUN=<run id> in their environment.
 * Nothing without such a label is ever touched, and a run whose virtbench process still lives is
 * never swept: other people's containers and concurrent runs stay as they are.
 */

/** Every label of a resource starts with this. */
export const LABEL_PREFIX = 'virtbench-';

/** The label of one resource of this run: `virtbench-<run id>-<name>`. */
export function runLabel(name: string, runId: string = REAL_RUN_ID): string {
  return `${LABEL_PREFIX}${runId}-${name}`;
}

const RUN_ID_IN_LABEL = /virtbench-(?:real-)?(\d+-[0-9a-z]+)(?:-|$)/;

/** The run id a label or path carries, if any. */
export function runIdIn(text: string): string | undefined {
  return RUN_ID_IN_LABEL.exec(text)?.[1];
}

/** Clock ticks per second of /proc/<pid>/stat's start time: USER_HZ, 100 on every Linux architecture virtbench runs on. */
const USER_HZ = 100;

function bootTimeSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('btime '));
  return Number(line?.split(' ')[1] ?? 0);
}

/**
 * Whether the virtbench process that made a run id still runs: its pid exists and started no
 * later than the id's time stamp (a reused pid started after it).
 */
export function runIsAlive(runId: string): boolean {
  if (runId === REAL_RUN_ID) return true;
  const [pid, stamp] = runId.split('-');
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const startedMs = (bootTimeSeconds() + startTicks / USER_HZ) * 1000;
  // One second of slack: /proc dates a start to the tick, the id to the millisecond after it.
  return startedMs <= Number.parseInt(stamp ?? '', 36) + 1000;
}

/** One thing a run left, with how to remove it. */
export interface Leftover {
  readonly runId: string;
  /** What it is, for messages: "cgroup /sys/fs/cgroup/cpu/virtbench-...". */
  readonly what: string;
  /** Removal order: processes first, then containers, mounts, cgroups, then directories. */
  readonly stage: number;
  remove(): void;
}

const CGROUP_ROOT = '/sys/fs/cgroup';

function subdirectories(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The cgroup roots: each v1 hierarchy and the v2 (or hybrid unified) one, or the v2 root itself. */
function cgroupRoots(): string[] {
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return [CGROUP_ROOT];
  return subdirectories(CGROUP_ROOT).map((name) => join(CGROUP_ROOT, name));
}

/**
 * Removes a cgroup folder and the folders under it, deepest first. A cgroup with processes
 * cannot be removed: those are this label's processes, so they are killed first.
 */
export function removeCgroupTree(path: string): void {
  for (const child of subdirectories(path)) removeCgroupTree(join(path, child));
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt === 19) throw error;
      for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // let the kernel reap them
    }
  }
}

/** Top-level cgroup folders labeled with a run id starting with `runIdPrefix`, in every hierarchy. */
export function labeledCgroups(runIdPrefix: string = REAL_RUN_ID): string[] {
  const label = `${LABEL_PREFIX}${runIdPrefix}`;
  return cgroupRoots().flatMap((root) =>
    subdirectories(root)
      .filter((name) => name.startsWith(label))
      .map((name) => join(root, name)),
  );
}

/** Removes the cgroup folders of one label (`virtbench-<run id>-<name>`) in every hierarchy. */
export function removeLabeledCgroups(label: string): void {
  for (const root of cgroupRoots()) removeCgroupTree(join(root, label));
}

/** Where systemd-nspawn keeps per-machine state; the machine name is the label. */
export const NSPAWN_PROPAGATE_DIR = '/run/systemd/nspawn/propagate';
/** Names one instance among a run's, in the environment of its processes (those a runtime does not reap). */
export const INSTANCE_ENV = 'VIRTBENCH_REAL_INSTANCE';

/** Kills every process whose environment says it belongs to the instance `label`. */
export function killInstanceProcesses(label: string): void {
  const tag = `${INSTANCE_ENV}=${label}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(tag))
        process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone, or not ours to read
    }
  }
}

/** Where systemd-nspawn keeps its image locks, named by the locked directory's device and inode. */
const NSPAWN_LOCK_DIR = '/run/systemd/nspawn/locks';

/**
 * Removes the lock nspawn keeps for a directory it ran (a killed nspawn leaves it). The lock is
 * named by the directory's device and inode, so it is found only while the directory exists.
 */
export function removeNspawnLock(directory: string): void {
  try {
    const { dev, ino } = statSync(directory);
    rmSync(join(NSPAWN_LOCK_DIR, `inode-${dev}:${ino}`), { force: true });
  } catch {
    // no such directory: nothing to find the lock by
  }
}

/** Where LXC keeps its locks, under the lxcpath's own path. */
export const LXC_LOCK_DIR = '/run/lxc/lock';

/** The lock folder LXC makes for an lxcpath (its path under /run/lxc/lock). */
export function lxcLockDir(lxcpath: string): string {
  return join(LXC_LOCK_DIR, lxcpath);
}

/**
 * Removes an LXC lock folder and the parents LXC made for it that are now empty, up to (not
 * including) /run/lxc/lock: rmdir only ever removes an empty folder, so another user's locks stay.
 */
export function removeLxcLockDir(lockDir: string): void {
  rmSync(lockDir, { recursive: true, force: true });
  for (let dir = join(lockDir, '..'); dir.startsWith(`${LXC_LOCK_DIR}/`); dir = join(dir, '..')) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

/** Host state a driver of virtbench leaves outside containers and temporary directories, by label. */
export function labeledHostState(runIdPrefix: string = REAL_RUN_ID): Leftover[] {
  const label = `${LABEL_PREFIX}${runIdPrefix}`;
  const found: Leftover[] = labeledProcesses(runIdPrefix, false);
  for (const path of labeledCgroups(runIdPrefix))
    found.push({ runId: runIdIn(path)!, what: `cgroup ${path}`, stage: 3, remove: () => removeCgroupTree(path) });
  for (const name of subdirectories(NSPAWN_PROPAGATE_DIR).filter((n) => n.startsWith(label))) {
    const path = join(NSPAWN_PROPAGATE_DIR, name);
    found.push({
      runId: runIdIn(name)!,
      what: `nspawn state ${path}`,
      stage: 4,
      remove: () => rmSync(path, { recursive: true, force: true }),
    });
  }
  const lxcTempLocks = lxcLockDir(tmpdir());
  for (const name of subdirectories(lxcTempLocks).filter((n) => n.startsWith(`${TEMP_PREFIX}${runIdPrefix}`))) {
    const path = join(lxcTempLocks, name);
    found.push({ runId: runIdIn(name)!, what: `lxc lock ${path}`, stage: 4, remove: () => removeLxcLockDir(path) });
  }
  return found;
}

/**
 * Processes of a run: those carrying its id in their environment, and those that do not inherit
 * the environment (runsc's sandbox and gofer) but name a labeled path or id on their command line.
 */
function labeledProcesses(runIdPrefix: string, byEnvironment: boolean): Leftover[] {
  const found: Leftover[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const tagged = readFileSync(`/proc/${entry}/environ`, 'utf8')
        .split('\0')
        .find((v) => v.startsWith(`${RUN_ENV}=${runIdPrefix}`));
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const named =
        cmdline.includes(`${TEMP_PREFIX}${runIdPrefix}`) || cmdline.includes(`${LABEL_PREFIX}${runIdPrefix}`);
      const runId = byEnvironment ? tagged?.slice(RUN_ENV.length + 1) : !tagged && named ? runIdIn(cmdline) : undefined;
      if (!runId) continue;
      const pid = Number(entry);
      found.push({
        runId,
        what: `process ${pid}: ${cmdline.slice(0, 120)}`,
        stage: 0,
        remove: () => {
          killGroup(pid);
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone with its group
          }
        },
      });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function labeledContainers(runIdPrefix: string): Leftover[] {
  const found: Leftover[] = [];
  const label = `${LABEL_PREFIX}${runIdPrefix}`;
  const runc = findTool('runc');
  if (runc) {
    for (const id of runCommandSync([runc, 'list', '--quiet'], { timeoutMs: 10_000 }).stdout.split('\n')) {
      if (!id.startsWith(label)) continue;
      found.push({
        runId: runIdIn(id)!,
        what: `runc container ${id}`,
        stage: 1,
        remove: () => {
          runCommandSync([runc, 'delete', '--force', id], { timeoutMs: 10_000 });
          removeLabeledCgroups(id);
        },
      });
    }
  }
  const docker = findTool('docker');
  if (docker) {
    const listed = runCommandSync(
      [docker, 'ps', '--all', '--filter', 'label=virtbench.run', '--format', '{{.ID}} {{.Label "virtbench.run"}}'],
      { timeoutMs: 20_000 },
    );
    for (const line of listed.code === 0 ? listed.stdout.split('\n') : []) {
      const [id, run] = line.trim().split(' ');
      if (!id || !run?.startsWith(runIdPrefix)) continue;
      found.push({
        runId: run,
        what: `docker container ${id}`,
        stage: 1,
        remove: () => runCommandSync([docker, 'rm', '--force', id], { timeoutMs: 30_000 }),
      });
    }
    if (listed.code === 0) {
      const images = runCommandSync([docker, 'images', '--format', '{{.Repository}}:{{.Tag}}', 'virtbench/rootfs'], {
        timeoutMs: 20_000,
      });
      for (const image of images.stdout.split('\n').map((s) => s.trim())) {
        const run = image.split(':')[1];
        if (!run?.startsWith(runIdPrefix) || !/^\d+-[0-9a-z]+$/.test(run)) continue;
        found.push({
          runId: run,
          what: `docker image ${image}`,
          stage: 2,
          remove: () => runCommandSync([docker, 'image', 'rm', '--force', image], { timeoutMs: 30_000 }),
        });
      }
    }
  }
  const ip = findTool('ip');
  if (ip) {
    for (const line of runCommandSync([ip, 'netns', 'list'], { timeoutMs: 10_000 }).stdout.split('\n')) {
      const ns = line.trim().split(' ')[0] ?? '';
      if (!ns.startsWith(label)) continue;
      found.push({
        runId: runIdIn(ns)!,
        what: `network namespace ${ns}`,
        stage: 2,
        remove: () => runCommandSync([ip, 'netns', 'delete', ns], { timeoutMs: 10_000 }),
      });
    }
  }
  return found;
}

/** Mount points under a path, deepest first. */
function mountsUnder(path: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replaceAll('\\040', ' ') ?? '')
    .filter((point) => point === path || point.startsWith(`${path}/`))
    .sort((a, b) => b.length - a.length);
}

function labeledDirectories(runIdPrefix: string): Leftover[] {
  const found: Leftover[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(`${TEMP_PREFIX}${runIdPrefix}`)) continue;
    const path = join(tmpdir(), name);
    found.push({
      runId: runIdIn(name)!,
      what: `directory ${path}`,
      stage: 5,
      remove: () => {
        const umount = findTool('umount');
        for (const point of mountsUnder(path)) if (umount) runCommandSync([umount, '-l', point], { timeoutMs: 10_000 });
        // A mount that stays would let a recursive removal reach into whatever it shows: keep the folder.
        if (mountsUnder(path).length > 0) throw new Error(`${path} still has mounts; not removed`);
        removeNspawnLock(join(path, 'rootfs'));
        rmSync(path, { recursive: true, force: true, maxRetries: 3 });
      },
    });
  }
  return found;
}

/** Everything labeled with a run id starting with `runIdPrefix` ('' = every run), in removal order. */
export function listLeftovers(runIdPrefix = ''): Leftover[] {
  return [
    ...labeledProcesses(runIdPrefix, true),
    ...labeledContainers(runIdPrefix),
    ...labeledHostState(runIdPrefix),
    ...labeledDirectories(runIdPrefix),
  ]
    .filter((l) => l.runId !== undefined)
    .sort((a, b) => a.stage - b.stage);
}

export interface SweepOutcome {
  readonly removed: readonly string[];
  readonly failed: readonly string[];
  /** Runs whose virtbench process still runs: left alone. */
  readonly liveRuns: readonly string[];
}

/**
 * Removes what runs that no longer live left behind (all of it, or `dryRun` only lists it).
 * Synchronous so that it can run from a teardown.
 */
export function sweepDeadRuns(options: { dryRun?: boolean } = {}): SweepOutcome {
  const all = listLeftovers();
  const live = new Set<string>();
  const removed: string[] = [];
  const failed: string[] = [];
  for (const leftover of all) {
    if (live.has(leftover.runId)) continue;
    if (runIsAlive(leftover.runId)) {
      live.add(leftover.runId);
      continue;
    }
    if (options.dryRun) {
      removed.push(leftover.what);
      continue;
    }
    try {
      leftover.remove();
      removed.push(leftover.what);
    } catch (error) {
      failed.push(`${leftover.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { removed, failed, liveRuns: [...live] };
}

let swept = false;

/** Once per process, before the first real cell: remove what killed runs left. */
export function sweepDeadRunsOnce(): SweepOutcome | undefined {
  if (swept) return undefined;
  swept = true;
  return sweepDeadRuns();
}

let guarded = false;

/**
 * Once per process: a teardown, registered before any driver's, that removes whatever host state
 * carries this run's label (cgroups, nspawn and LXC state) after every container is gone. It runs
 * last on exit, failure or a signal, and catches what a container runtime killed mid-create left.
 */
export function guardRunHostState(): void {
  if (guarded) return;
  guarded = true;
  registerCleanup(`host state labeled ${LABEL_PREFIX}${REAL_RUN_ID}`, () => {
    guarded = false;
    for (const leftover of labeledHostState()) leftover.remove();
  });
}
