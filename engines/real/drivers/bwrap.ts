import { chmod } from 'node:fs/promises';
import type { Cell, SandboxUser } from '../../types.js';
import { type Availability, combineAvailability, missing, present, toolAvailability } from '../availability.js';
import { defineContainerDriver, idleProcess } from '../define-driver.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { IN_ROOTFS, materializeRootfs, unpackedBytes } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { asUnprivileged, UNPRIVILEGED_USER, unprivilegedUserNamespaces } from '../host/capabilities.js';
import { findTool, runCommand, runCommandSync, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * Bubblewrap, the sandbox Flatpak uses: `bwrap --unshare-all --die-with-parent` into the
 * generated rootfs, with its own /proc and a minimal /dev. No daemon, no image store, no cgroup.
 * As root it runs as root; as an unprivileged user (`real.user: unprivileged`, `nobody` when
 * virtbench is root) it builds everything inside a user namespace, which the kernel must allow.
 */

const ISOLATION_FLAGS = ['--unshare-all', '--die-with-parent'];

/** Who runs bwrap for a cell: what it asks for, else root when virtbench is root. */
function sandboxUser(cell?: Cell): SandboxUser {
  return cell?.options.real?.user ?? (process.getuid?.() === 0 ? 'root' : 'unprivileged');
}

async function availability(cell?: Cell): Promise<Availability> {
  const parts = await toolAvailability('bwrap', ['bubblewrap'], (bwrap) => {
    const version = runCommandSync([bwrap, '--version'], { timeoutMs: 5000 }).stdout.trim();
    return present(`${version} (${bwrap})`);
  });
  const user = sandboxUser(cell);
  if (user === 'root')
    return combineAvailability(
      ...parts,
      process.getuid?.() === 0 ? present('runs as root') : missing('real.user root: virtbench is not root'),
    );
  const userns = await unprivilegedUserNamespaces();
  const who =
    process.getuid?.() !== 0
      ? present('runs as this (unprivileged) user')
      : findTool('setpriv')
        ? present(`runs as ${UNPRIVILEGED_USER.name} through setpriv`)
        : missing('setpriv not found to run bwrap as an unprivileged user', ['util-linux']);
  return combineAvailability(
    ...parts,
    who,
    userns.value ? present(userns.detail) : missing(`bwrap without root needs a user namespace: ${userns.detail}`),
  );
}

export const bwrapDriver = defineContainerDriver({
  id: 'bwrap',
  title: 'bubblewrap (bwrap --unshare-all into a busybox-static rootfs)',
  defaultTimeoutMs: 30_000,
  requires: ['bubblewrap', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options, cell, notes }) => {
    const bwrap = findTool('bwrap')!;
    const user = sandboxUser(cell);
    const { entries, rootfs } = await materializeRootfs(busybox, workDir);
    const unprivileged = user === 'unprivileged' && process.getuid?.() === 0;
    // The unprivileged user must reach the rootfs through the cell's private (0700) directory.
    if (unprivileged) await chmod(workDir, 0o711);
    notes.push(
      user === 'root'
        ? 'bwrap: runs as root'
        : `bwrap: runs as ${unprivileged ? UNPRIVILEGED_USER.name : 'this user'}, unprivileged, in its own user namespace`,
    );
    /**
     * The one place an instance's command is built: the namespaces, the rootfs and host paths
     * bound into it (read-only), and whether it keeps the host's network.
     */
    const inSandbox = (
      args: readonly string[],
      shape: { readOnlyPaths?: readonly string[]; network?: 'none' | 'host' } = {},
    ): string[] => {
      const argv = [
        bwrap,
        ...ISOLATION_FLAGS,
        ...(shape.network === 'host' ? ['--share-net'] : []),
        '--bind',
        rootfs,
        '/',
        ...(shape.readOnlyPaths ?? []).flatMap((path) => ['--ro-bind', path, path]),
        '--proc',
        '/proc',
        '--dev',
        '/dev',
        ...args,
      ];
      return unprivileged ? asUnprivileged(argv)! : argv;
    };
    return {
      boot: { argv: inSandbox(IN_ROOTFS.boot), marker: READY_MARKER },
      images: async () => ({
        onDiskBytes: unpackedBytes(entries),
        description: `bwrap: the generated rootfs directory (${entries.length} entries)`,
      }),
      idleEstimateMiB: 4,
      isVm: false,
      startIdle: async () =>
        idleProcess(
          await startInstance(inSandbox(IN_ROOTFS.idle), { marker: READY_MARKER, timeoutMs: options.timeoutMs }),
        ),
      runWorkload: async (reps) =>
        (
          await runCommand(inSandbox(IN_ROOTFS.work(reps)), { timeoutMs: workloadTimeoutMs(options, reps) })
        ).stdout.split('\n'),
    };
  },
});
