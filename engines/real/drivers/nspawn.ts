import { rmSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
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
  NSPAWN_PROPAGATE_DIR,
  removeNspawnLock,
  runLabel,
} from '../host/leftovers.js';
import { findTool, REAL_RUN_ID, RUN_ENV, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * systemd-nspawn on the generated rootfs, without systemd's machine registry or a scope unit
 * (`--register=no --keep-unit`), so it runs on a host whose init is not systemd. The rootfs is
 * shared read-only (nspawn locks a directory it may write, so concurrent instances could not
 * share it) and each instance gets its own writable /tmp. Network `host` shares the host's
 * network; `bridge` gives the instance its own network namespace joined to the host by a veth
 * pair (`--network-veth`; nothing configures NAT on it).
 */

const availability = (): Promise<Availability> =>
  versionedToolAvailability(
    'systemd-nspawn',
    ['systemd-container'],
    'systemd-nspawn creates its namespaces and mounts as root',
  );

export const nspawnDriver = defineContainerDriver({
  id: 'nspawn',
  title: 'systemd-nspawn (--register=no --keep-unit, busybox-static rootfs)',
  defaultTimeoutMs: 30_000,
  requires: ['systemd-container', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options, cell, notes }) => {
    const nspawn = findTool('systemd-nspawn')!;
    const { entries, rootfs } = await materializeRootfs(busybox, workDir);
    // nspawn refuses a directory without /usr as "not an OS tree", and mounts a tmpfs on /run,
    // which it cannot create in a read-only tree.
    for (const dir of ['usr', 'run']) await mkdir(join(rootfs, dir), { recursive: true });
    const network = cell.options.network === 'bridge' ? 'bridge' : 'host';
    notes.push(
      network === 'bridge'
        ? 'nspawn: own network namespace with a veth pair to the host (--network-veth)'
        : "nspawn: the host's network",
    );
    let instances = 0;
    /**
     * The one place an instance's command is built: its machine name (the run's label, which
     * also names nspawn's state under /run/systemd/nspawn), the rootfs, host paths bound
     * read-only, a writable /tmp of its own, and its network.
     */
    const instance = async (
      args: readonly string[],
      shape: { readOnlyPaths?: readonly string[]; network?: 'host' | 'bridge' } = {},
    ): Promise<{ argv: string[]; forget: CleanupHandle }> => {
      const name = runLabel(`nspawn-${instances++}`);
      const tmp = join(workDir, 'instances', name);
      await mkdir(tmp, { recursive: true });
      await chmod(tmp, 0o1777);
      // nspawn stops its container and removes its state when it exits on its own; killed, it
      // leaves both, so the container's processes (tagged with the instance) and state go here.
      const forget = registerCleanup(`nspawn container ${name}`, () => {
        killInstanceProcesses(name);
        rmSync(join(NSPAWN_PROPAGATE_DIR, name), { recursive: true, force: true });
      });
      const argv = [
        nspawn,
        '--register=no',
        '--keep-unit',
        '--quiet',
        '--console=pipe',
        `--machine=${name}`,
        `--directory=${rootfs}`,
        '--read-only',
        // Asked to stop (SIGTERM), nspawn kills the container's init, and with it the container.
        '--kill-signal=SIGKILL',
        `--bind=${tmp}:/tmp`,
        ...(shape.readOnlyPaths ?? []).map((path) => `--bind-ro=${path}`),
        ...((shape.network ?? network) === 'bridge' ? ['--network-veth'] : []),
        `--setenv=${RUN_ENV}=${REAL_RUN_ID}`,
        `--setenv=${INSTANCE_ENV}=${name}`,
        '--',
        ...args,
      ];
      return { argv, forget };
    };
    const boot = await instance(IN_ROOTFS.boot);
    return {
      boot: { argv: boot.argv, marker: READY_MARKER },
      images: async () => ({
        onDiskBytes: unpackedBytes(entries),
        description: `nspawn: the generated rootfs directory (${entries.length} entries), shared read-only`,
      }),
      idleEstimateMiB: 8,
      isVm: false,
      startIdle: async () => {
        const idle = await instance(IN_ROOTFS.idle);
        const started = await startInstance(idle.argv, { marker: READY_MARKER, timeoutMs: options.timeoutMs });
        return {
          ...idleProcess(started),
          stop: async () => {
            process.kill(started.pid, 'SIGTERM');
            await started.waitExit(options.timeoutMs).catch(() => undefined);
            idle.forget.release();
          },
        };
      },
      runWorkload: async (reps) => {
        const work = await instance(workWithKernelBootId(reps));
        return runInstanceOnce(work.argv, work.forget, workloadTimeoutMs(options, reps));
      },
      dispose: async () => {
        boot.forget.release();
        removeNspawnLock(rootfs);
      },
    };
  },
});
