import { join } from 'node:path';
import { type Availability, busyboxAvailability, combineAvailability } from '../availability.js';
import { defineRealDriver } from '../define-driver.js';
import type { DriverSession, SessionContext } from '../driver-spec.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { IN_INSTANCE, materialize, rootfsEntries, unpackedBytes } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { findTool, runCommand, runCommandSync, startInstance } from '../host/spawn.js';

/**
 * A container made of nothing but Linux namespaces: util-linux `unshare` creates pid, mount,
 * uts, ipc and network namespaces and chroots into the generated rootfs. No runtime, no cgroup,
 * no image store: the floor under runc and Docker.
 */

const NAMESPACE_FLAGS = ['--pid', '--mount', '--uts', '--ipc', '--net', '--fork', '--kill-child'];

async function availability(): Promise<Availability> {
  const unshare = findTool('unshare');
  const parts: Availability[] = [(await busyboxAvailability()).availability];
  if (!unshare) parts.push({ available: false, reasons: ['unshare not found'], packages: ['util-linux'], found: [] });
  else {
    const help = runCommandSync([unshare, '--help'], { timeoutMs: 5000 }).stdout;
    if (!help.includes('--root') || !help.includes('--kill-child')) {
      parts.push({
        available: false,
        reasons: [`${unshare} lacks --root or --kill-child (util-linux 2.35 or newer needed)`],
        packages: ['util-linux'],
        found: [],
      });
    } else parts.push({ available: true, reasons: [], packages: [], found: [`unshare ${unshare}`] });
  }
  if (process.getuid?.() !== 0) {
    parts.push({
      available: false,
      reasons: ['needs root: creating mount and network namespaces requires CAP_SYS_ADMIN'],
      packages: [],
      found: [],
    });
  }
  return combineAvailability(...parts);
}

export const namespacesDriver = defineRealDriver({
  id: 'namespaces',
  title: 'Linux namespaces via unshare (pid, mount, uts, ipc, net)',
  kind: () => 'container',
  modeledCounterpart: () => 'namespaces',
  defaultTimeoutMs: 30_000,
  requires: ['util-linux', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options }: SessionContext): Promise<DriverSession> => {
    const unshare = findTool('unshare')!;
    const entries = await rootfsEntries(busybox);
    const rootfs = join(workDir, 'rootfs');
    await materialize(entries, rootfs);
    const inContainer = (...argv: string[]): string[] => [unshare, ...NAMESPACE_FLAGS, '--root', rootfs, ...argv];
    return {
      boot: { argv: inContainer(IN_INSTANCE.busybox, 'echo', READY_MARKER), marker: READY_MARKER },
      images: async () => ({
        onDiskBytes: unpackedBytes(entries),
        description: `namespaces: the generated rootfs directory (${entries.length} entries)`,
      }),
      idleEstimateMiB: 8,
      isVm: false,
      startIdle: async () => {
        const instance = await startInstance(
          inContainer(IN_INSTANCE.busybox, 'sh', IN_INSTANCE.idle, IN_INSTANCE.busybox),
          {
            marker: READY_MARKER,
            timeoutMs: options.timeoutMs,
          },
        );
        return { pids: async () => [instance.pid], storageBytes: async () => 0, stop: async () => instance.kill() };
      },
      runWorkload: async (reps) => {
        const argv = inContainer(
          IN_INSTANCE.busybox,
          'sh',
          IN_INSTANCE.nsSetup,
          IN_INSTANCE.work,
          IN_INSTANCE.busybox,
          IN_INSTANCE.diskTarget,
          String(reps),
        );
        return (await runCommand(argv, { timeoutMs: options.timeoutMs * (2 + reps) })).stdout.split('\n');
      },
      dispose: async () => undefined,
    };
  },
});
