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
import { IN_INSTANCE, IN_ROOTFS, materializeRootfs, unpackableRootfs, unpackedBytes } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import type { BridgeNetwork } from '../host/netns.js';
import { announcedServer, splitSteps, startServerInNetwork, writeStepsScript } from '../host/server.js';
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

/**
 * What a runtime does before an application starts, done by a shell in the new mount namespace:
 * bind the host paths read-only and the writable directory read-write into the rootfs, chroot,
 * give the container its own /proc and a minimal /dev, and exec the command in its directory.
 * Arguments: host busybox, rootfs, working directory, the number of host paths, the host paths,
 * then the command. Mounts made here vanish with the namespace.
 */
const BIND_AND_CHROOT = `bb="$1"; root="$2"; wd="$3"; n="$4"; shift 4
while [ "$n" -gt 0 ]; do
  p="$1"; shift; n=$((n - 1))
  if [ -d "$p" ]; then "$bb" mkdir -p "$root$p"; else "$bb" mkdir -p "$root$("$bb" dirname "$p")"; "$bb" touch "$root$p"; fi
  "$bb" mount --rbind "$p" "$root$p" && "$bb" mount -o remount,bind,ro "$root$p" || exit 1
done
"$bb" mkdir -p "$root$wd" && "$bb" mount --bind "$wd" "$root$wd" || exit 1
exec "$bb" chroot "$root" /bin/busybox sh -c 'bb=/bin/busybox
$bb mount -t proc proc /proc && $bb mount -t tmpfs -o mode=755 dev /dev || exit 1
$bb mknod -m 666 /dev/null c 1 3; $bb mknod -m 666 /dev/zero c 1 5; $bb mknod -m 666 /dev/urandom c 1 9
cd "$1" || exit 1; shift; exec "$@"' container "$wd" "$@"
`;

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
    const nsenter = findTool('nsenter');
    /** An application container: the bind mounts of BIND_AND_CHROOT, in the host's, a joined, or its own network. */
    const appContainer = (
      hostPaths: readonly string[],
      writableDir: string,
      network: BridgeNetwork | 'host' | 'own',
      argv: readonly string[],
    ): string[] => {
      if (typeof network === 'object' && !nsenter)
        throw new Error('nsenter (util-linux) not found: bridge networking needs it');
      const join = typeof network === 'object' ? [nsenter!, `--net=${network.path}`] : [];
      const flags = NAMESPACE_FLAGS.filter((flag) => flag !== '--net' || network === 'own');
      return [
        ...join,
        unshare,
        ...flags,
        busybox,
        'sh',
        '-c',
        BIND_AND_CHROOT,
        'bind-and-chroot',
        busybox,
        rootfs,
        writableDir,
        String(hostPaths.length),
        ...hostPaths,
        ...argv,
      ];
    };
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
      startServer: (launch) =>
        startServerInNetwork('ns', launch, options.timeoutMs, (network) => ({
          argv: appContainer(
            launch.hostPaths,
            launch.writableDir ?? workDir,
            network ?? 'host',
            announcedServer([IN_INSTANCE.busybox, 'sh'], launch.argv),
          ),
        })),
      runInInstance: async (launch) => {
        const script = await writeStepsScript(launch);
        const argv = appContainer(launch.hostPaths, launch.writableDir, 'own', [IN_INSTANCE.busybox, 'sh', script]);
        return splitSteps((await runCommand(argv, { timeoutMs: launch.timeoutMs })).stdout, launch.steps.length);
      },
    };
  },
});
