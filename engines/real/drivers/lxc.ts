import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Availability, versionedToolAvailability } from '../availability.js';
import { defineContainerDriver, idleProcess, runInstanceOnce } from '../define-driver.js';
import { workWithKernelBootId } from '../guest/boot-id.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { IN_ROOTFS, materializeRootfs, unpackedBytes } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { type CleanupHandle, registerCleanup } from '../host/cleanup.js';
import {
  INSTANCE_ENV,
  killInstanceProcesses,
  lxcLockDir,
  removeLabeledCgroups,
  removeLxcLockDir,
  runLabel,
} from '../host/leftovers.js';
import { findTool, REAL_RUN_ID, RUN_ENV, runCommandSync, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * LXC's `lxc-start -F` (foreground, no daemon) on the generated rootfs, with a container
 * configuration virtbench writes: no console, an empty network namespace (loopback only), /proc
 * and a read-only /sys. The lxcpath (where LXC keeps container configurations) is in the cell's
 * temporary directory, and every cgroup LXC makes (monitor, payload, the monitor's pivot) is
 * named with the run's label, so nothing of it is shared with other LXC users or outlives the run.
 */

const availability = (): Promise<Availability> =>
  versionedToolAvailability(
    'lxc-start',
    ['lxc'],
    'unprivileged LXC needs subordinate uid ranges and a user-namespace config virtbench does not write',
    (version) => `lxc ${version}`,
  );

/** The cgroup folders LXC makes for a container, each carrying the container's label. */
function cgroupLabels(name: string): string[] {
  return [`${name}-monitor`, name, `${name}-pivot`];
}

/** A container configuration; the rootfs and labels are virtbench's own paths and names. */
function containerConfig(name: string, rootfs: string, network: 'none' | 'host'): string {
  const [monitor, payload, pivot] = cgroupLabels(name);
  return [
    `lxc.uts.name = ${name}`,
    `lxc.rootfs.path = dir:${rootfs}`,
    'lxc.console.path = none',
    // "empty": a network namespace with only loopback; "none": the host's network namespace.
    `lxc.net.0.type = ${network === 'host' ? 'none' : 'empty'}`,
    'lxc.mount.auto = proc:mixed sys:ro',
    `lxc.cgroup.dir.monitor = ${monitor}`,
    `lxc.cgroup.dir.container = ${payload}`,
    `lxc.cgroup.dir.monitor.pivot = ${pivot}`,
    `lxc.environment = ${RUN_ENV}=${REAL_RUN_ID}`,
    `lxc.environment = ${INSTANCE_ENV}=${name}`,
    '',
  ].join('\n');
}

export const lxcDriver = defineContainerDriver({
  id: 'lxc',
  title: 'LXC (lxc-start -F, busybox-static rootfs, own lxcpath)',
  defaultTimeoutMs: 30_000,
  requires: ['lxc', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options }) => {
    const lxcStart = findTool('lxc-start')!;
    const lxcStop = findTool('lxc-stop');
    const { entries, rootfs } = await materializeRootfs(busybox, workDir);
    const lxcpath = join(workDir, 'lxc');
    // LXC keeps its locks under /run/lxc/lock/<lxcpath>: removed when the session ends.
    const locks = registerCleanup(`lxc locks of ${lxcpath}`, () => removeLxcLockDir(lxcLockDir(lxcpath)));
    let instances = 0;
    /**
     * The one place an instance's command is built: its configuration (rootfs, network, labels)
     * and the lxc-start argv whose trailing arguments are the container's init, as argv.
     */
    const instance = async (
      args: readonly string[],
      shape: { network?: 'none' | 'host' } = {},
    ): Promise<{ argv: string[]; name: string; forget: CleanupHandle }> => {
      const name = runLabel(`lxc-${instances++}`);
      await mkdir(join(lxcpath, name), { recursive: true });
      await writeFile(join(lxcpath, name, 'config'), containerConfig(name, rootfs, shape.network ?? 'none'));
      const forget = registerCleanup(`lxc container ${name}`, () => {
        if (lxcStop) runCommandSync([lxcStop, '--kill', '-P', lxcpath, '-n', name], { timeoutMs: 10_000 });
        killInstanceProcesses(name);
        for (const label of cgroupLabels(name)) removeLabeledCgroups(label);
      });
      return { argv: [lxcStart, '--foreground', '-P', lxcpath, '-n', name, '--', ...args], name, forget };
    };
    const boot = await instance(IN_ROOTFS.boot);
    return {
      boot: { argv: boot.argv, marker: READY_MARKER },
      images: async () => ({
        onDiskBytes: unpackedBytes(entries),
        description: `lxc: the generated rootfs directory (${entries.length} entries)`,
      }),
      idleEstimateMiB: 8,
      isVm: false,
      startIdle: async () => {
        const idle = await instance(IN_ROOTFS.idle);
        const started = await startInstance(idle.argv, { marker: READY_MARKER, timeoutMs: options.timeoutMs });
        return {
          ...idleProcess(started),
          stop: async () => {
            idle.forget.release();
            started.kill();
          },
        };
      },
      runWorkload: async (reps) => {
        const work = await instance(workWithKernelBootId(reps));
        return runInstanceOnce(work.argv, work.forget, workloadTimeoutMs(options, reps));
      },
      dispose: async () => {
        boot.forget.release();
        locks.release();
      },
    };
  },
});
