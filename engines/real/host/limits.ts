import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerCleanup } from './cleanup.js';
import { REAL_RUN_ID } from './spawn.js';

/**
 * Resource limits put on an instance from outside, with the kernel mechanism container engines
 * use themselves: a cgroup (v1) per limited instance in the cpu, memory, pids and blkio
 * hierarchies, its processes moved in once it runs. Applying them from outside works the same
 * for every driver, a VMM's process included; the run's label names each cgroup, so a killed
 * run's are found and removed.
 */

export interface InstanceLimits {
  /** CPU time per period, in cores (cpu.cfs_quota_us / cpu.cfs_period_us). */
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly pids: number;
  /** Direct writes to the device holding `writeDevicePath`, bytes per second (blkio throttle). */
  readonly writeBytesPerSecond: number;
  readonly writeDevicePath: string;
}

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['cpu', 'memory', 'pids', 'blkio'] as const;
const CFS_PERIOD_US = 100_000;

/** Why limits cannot be applied here, or undefined when the v1 hierarchies exist and we are root. */
export function limitsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'resource limits need root (cgroup writes)';
  const missing = CONTROLLERS.filter((c) => !existsSync(join(ROOT, c, 'tasks')));
  if (missing.length > 0)
    return `resource limits need the cgroup v1 ${missing.join(', ')} hierarchies under ${ROOT} (this host has none)`;
  return undefined;
}

export interface LimitGroup {
  /** Limits that could not be set here, with the reason (a partition's device cannot be throttled). */
  readonly unset: readonly string[];
  /** Moves these processes (and, through fork, their future children) into the limited cgroup. */
  attach(pids: readonly number[]): void;
  release(): void;
}

/** The device number (major:minor) of the file system holding a path, for blkio throttling. */
function deviceOf(path: string): string {
  const dev = statSync(path).dev;
  // Linux dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
  const major = Number((BigInt(dev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & 0xfff00n));
  return `${major}:${minor}`;
}

export function createLimitGroup(name: string, limits: InstanceLimits): LimitGroup {
  const group = `virtbench-${REAL_RUN_ID}-${name}`;
  const dirs = CONTROLLERS.map((c) => join(ROOT, c, group));
  const handle = registerCleanup(`cgroup ${group}`, () => {
    for (const dir of dirs) removeGroup(dir);
  });
  try {
    for (const dir of dirs) mkdirSync(dir);
    writeFileSync(join(ROOT, 'cpu', group, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
    writeFileSync(join(ROOT, 'cpu', group, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CFS_PERIOD_US)));
    writeFileSync(join(ROOT, 'memory', group, 'memory.limit_in_bytes'), String(limits.memoryMiB * 2 ** 20));
    writeFileSync(join(ROOT, 'pids', group, 'pids.max'), String(limits.pids));
  } catch (error) {
    handle.release();
    throw error;
  }
  const unset: string[] = [];
  const device = deviceOf(limits.writeDevicePath);
  try {
    writeFileSync(
      join(ROOT, 'blkio', group, 'blkio.throttle.write_bps_device'),
      `${device} ${limits.writeBytesPerSecond}`,
    );
  } catch (error) {
    unset.push(
      `disk write throttle on device ${device}: ${error instanceof Error ? error.message : String(error)} (the kernel throttles whole disks, not partitions)`,
    );
  }
  return {
    unset,
    attach: (pids) => {
      for (const pid of pids) {
        for (const controller of CONTROLLERS) {
          try {
            writeFileSync(join(ROOT, controller, group, 'cgroup.procs'), String(pid));
          } catch {
            // The process exited between the listing and the move.
          }
        }
      }
    },
    release: () => handle.release(),
  };
}

/** How long removing a cgroup waits for its last processes to finish exiting. */
const REMOVE_PATIENCE_MS = 5000;
const REMOVE_RETRY_MS = 50;

/**
 * Removes a cgroup once its processes are gone: any still in it are moved back to the root
 * group first (a cgroup with tasks cannot be removed), which lifts their limits. A process that
 * is still exiting (a VMM just killed) can be neither moved nor waited for asynchronously here,
 * since teardowns are synchronous, so the removal is retried for a few seconds.
 */
function removeGroup(dir: string): void {
  if (!existsSync(dir)) return;
  const root = join(dir, '..', 'cgroup.procs');
  const deadline = Date.now() + REMOVE_PATIENCE_MS;
  for (;;) {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(root, pid);
      } catch {
        // Gone already, or exiting.
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, REMOVE_RETRY_MS);
    }
  }
}
