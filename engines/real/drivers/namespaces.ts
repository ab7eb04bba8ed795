import {
  type Availability,
  combineAvailability,
  missing,
  present,
  rootAvailability,
  toolAvailability,
} from '../availability.js';
import { defineContainerDriver, idleProcess } from '../define-driver.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { IN_ROOTFS, materializeRootfs, unpackableRootfs, unpackedBytes } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { findTool, runCommand, runCommandSync, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * A container made of nothing but Linux namespaces: util-linux `unshare` creates pid, mount,
 * uts, ipc and network namespaces and chroots into the generated rootfs. No runtime, no cgroup,
 * no image store: the floor under runc and Docker.
 */

const NAMESPACE_FLAGS = ['--pid', '--mount', '--uts', '--ipc', '--net', '--fork', '--kill-child'];

async function availability(): Promise<Availability> {
  const parts = await toolAvailability('unshare', ['util-linux'], (unshare) => {
    const help = runCommandSync([unshare, '--help'], { timeoutMs: 5000 }).stdout;
    return help.includes('--root') && help.includes('--kill-child')
      ? present(`unshare ${unshare}`)
      : missing(`${unshare} lacks --root or --kill-child (util-linux 2.35 or newer needed)`, ['util-linux']);
  });
  return combineAvailability(
    ...parts,
    rootAvailability('creating mount and network namespaces requires CAP_SYS_ADMIN'),
  );
}

export const namespacesDriver = defineContainerDriver({
  id: 'namespaces',
  title: 'Linux namespaces via unshare (pid, mount, uts, ipc, net)',
  defaultTimeoutMs: 30_000,
  requires: ['util-linux', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options }) => {
    const unshare = findTool('unshare')!;
    const { entries, rootfs } = await materializeRootfs(busybox, workDir);
    const inContainer = (...argv: string[]): string[] => [unshare, ...NAMESPACE_FLAGS, '--root', rootfs, ...argv];
    // Image-inclusive: the rootfs is unpacked from its gzip layer before each boot, as runc's is.
    const image =
      options.startMode === 'image-inclusive' ? await unpackableRootfs(entries, rootfs, options.timeoutMs) : undefined;
    return {
      ...(image ? { prepareImage: image.unpack, discardImage: image.discard } : {}),
      boot: { argv: inContainer(...IN_ROOTFS.boot), marker: READY_MARKER },
      images: async () => ({
        onDiskBytes: unpackedBytes(entries),
        description: `namespaces: the generated rootfs directory (${entries.length} entries)`,
      }),
      idleEstimateMiB: 8,
      isVm: false,
      startIdle: async () =>
        idleProcess(
          await startInstance(inContainer(...IN_ROOTFS.idle), { marker: READY_MARKER, timeoutMs: options.timeoutMs }),
        ),
      runWorkload: async (reps) => {
        const argv = inContainer(...IN_ROOTFS.workInBareNamespaces(reps));
        return (await runCommand(argv, { timeoutMs: workloadTimeoutMs(options, reps) })).stdout.split('\n');
      },
    };
  },
});
