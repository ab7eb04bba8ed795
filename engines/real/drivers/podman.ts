import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cell, OciRuntime } from '../../types.js';
import {
  type Availability,
  combineAvailability,
  missing,
  present,
  rootAvailability,
  toolAvailability,
} from '../availability.js';
import { defineContainerDriver } from '../define-driver.js';
import type { DriverSession } from '../driver-spec.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { IN_ROOTFS, imageLayer, importedImageSizes, rootfsEntries } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { type CleanupHandle, registerCleanup } from '../host/cleanup.js';
import {
  deadRunFolders,
  killProcesses,
  processesMentioning,
  removeCgroupTrees,
  runCgroupParent,
  sharedPathsCreatedDuring,
  unmountUnder,
} from '../host/host-state.js';
import { findTool, REAL_RUN_ID, runCommand, runCommandSync } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * Podman, daemonless: each `podman run` sets up the container itself and hands it to conmon and
 * an OCI runtime (runc by default here; crun or runsc with `real.runtime`). Storage, run-time
 * state and libpod's temporary state live in the cell's work directory, so nothing lands in
 * /var/lib/containers; the image is `podman import` of the generated rootfs layer, so nothing is
 * pulled. Containers go under a cgroup parent named for the run and carry the run's label.
 */

const LABEL_KEY = 'virtbench.run';
const RUN_LABEL = `${LABEL_KEY}=${REAL_RUN_ID}`;
const DEFAULT_RUNTIME: OciRuntime = 'runc';
const RUNTIME_PACKAGES: Record<OciRuntime, string> = { runc: 'runc', crun: 'crun', runsc: 'runsc' };

/**
 * What podman 4 writes outside --root/--runroot/--tmpdir whatever its flags say: the image
 * library's blob-info cache and netavark's run directory (even with --network none).
 */
const SHARED_STATE = [
  '/var/lib/containers/cache/blob-info-cache-v1.boltdb',
  '/var/lib/containers/cache',
  '/var/lib/containers',
  '/run/containers/networks',
  '/run/containers',
  '/run/libpod',
];

/** The hybrid cgroup layout's v2 tree, which crun refuses to run beside v1 controllers. */
const UNIFIED_CGROUP = '/sys/fs/cgroup/unified';

function runtimeOf(cell?: Cell): OciRuntime {
  return cell?.options.real?.runtime ?? DEFAULT_RUNTIME;
}

function unifiedMounted(): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((line) => line.split(' ')[1] === UNIFIED_CGROUP);
  } catch {
    return false;
  }
}

async function availability(cell?: Cell): Promise<Availability> {
  const runtime = runtimeOf(cell);
  const parts = await toolAvailability('podman', ['podman'], (podman) => {
    const version = runCommandSync([podman, '--version'], { timeoutMs: 10_000 }).stdout.trim();
    return present(`${version} (${podman})`);
  });
  const runtimePath = findTool(runtime);
  const runtimePart = runtimePath
    ? present(`OCI runtime ${runtime} (${runtimePath})`)
    : missing(`podman's OCI runtime ${runtime} not found`, [RUNTIME_PACKAGES[runtime]]);
  const crunPart =
    runtime === 'crun' && unifiedMounted() && !findTool('unshare')
      ? missing(
          `crun refuses a hybrid cgroup host (${UNIFIED_CGROUP} mounted) and unshare, which hides it, is missing`,
          ['util-linux'],
        )
      : present();
  return combineAvailability(
    ...parts,
    runtimePart,
    crunPart,
    rootAvailability('rootless podman needs subordinate uid ranges and a user namespace virtbench does not set up'),
  );
}

/** How this run invokes podman: its private storage, its runtime, and the namespace crun needs. */
interface PodmanHost {
  readonly podman: string;
  /** The cell's folder, holding storage, run-time and libpod state; its path carries the run's id. */
  readonly dir: string;
  readonly runtime: OciRuntime;
  readonly runtimePath: string;
  readonly runtimeFlags: readonly string[];
  /** crun on a hybrid host: each podman runs in a private mount namespace without the unified tree. */
  readonly hideUnifiedCgroup: boolean;
}

/** The start-mode hooks (image-inclusive starts), which sessions gain as optional members. */
interface ImageHooks {
  prepareImage(): Promise<void>;
  discardImage(): Promise<void>;
}

/** conmon's attach socket lives under the runroot, so podman refuses a runroot over 50 characters. */
const MAX_RUNROOT = 50;

function runRoot(dir: string): string {
  return join(dir, 'r');
}

/** podman with this run's storage and runtime flags, then `args`. */
function podmanArgv(host: PodmanHost, args: readonly string[]): string[] {
  const argv = [
    host.podman,
    '--root',
    join(host.dir, 'root'),
    '--runroot',
    runRoot(host.dir),
    '--tmpdir',
    join(host.dir, 'tmp'),
    // systemd is not the init here, and the journal is not where a benchmark's events belong.
    '--cgroup-manager=cgroupfs',
    '--events-backend=file',
    '--runtime',
    host.runtimePath,
    ...host.runtimeFlags.map((flag) => `--runtime-flag=${flag}`),
    ...args,
  ];
  if (!host.hideUnifiedCgroup) return argv;
  // crun (1.8) stops at "cgroups in hybrid mode not supported"; in a private mount namespace
  // without the v2 tree it sees a plain v1 host. The script is fixed; argv reaches it as "$@".
  return [
    findTool('unshare') ?? 'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    `umount ${UNIFIED_CGROUP} && exec "$@"`,
    'sh',
    ...argv,
  ];
}

/** The hard limits this process holds: podman's defaults (nofile 1048576) exceed them, and root here cannot raise rlimits. */
function hardLimit(name: string, fallback: number): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(name));
    const hard = line?.slice(name.length).trim().split(/\s+/)[1];
    return hard && /^\d+$/.test(hard) ? Number(hard) : fallback;
  } catch {
    return fallback;
  }
}

/** One container: what it runs and how it reaches the host (contract of the application hook). */
export interface PodmanInstanceSpec {
  readonly command: readonly string[];
  readonly name?: string;
  /** none: loopback only; host: the host's network namespace. */
  readonly network?: 'none' | 'host';
  /** Host paths bind-mounted read-only at the same place inside. */
  readonly readOnlyPaths?: readonly string[];
  /** A host folder bind-mounted read-write at the same place inside. */
  readonly writableDir?: string;
  readonly detach?: boolean;
}

/** The one place a podman container's argv is built: boots, idle instances, workloads. */
export function podmanInstanceArgv(host: PodmanHost, image: string, spec: PodmanInstanceSpec): string[] {
  const nofile = Math.min(1024, hardLimit('Max open files', 1024));
  const nproc = Math.min(4096, hardLimit('Max processes', 4096));
  return podmanArgv(host, [
    'run',
    ...(spec.detach ? ['--detach'] : []),
    '--rm',
    '--label',
    RUN_LABEL,
    '--cgroup-parent',
    `/${runCgroupParent()}`,
    '--ulimit',
    `nofile=${nofile}:${nofile}`,
    '--ulimit',
    `nproc=${nproc}:${nproc}`,
    '--network',
    spec.network ?? 'none',
    ...(spec.readOnlyPaths ?? []).flatMap((path) => ['--volume', `${path}:${path}:ro`]),
    ...(spec.writableDir ? ['--volume', `${spec.writableDir}:${spec.writableDir}:rw`] : []),
    ...(spec.name ? ['--name', spec.name] : []),
    image,
    ...spec.command,
  ]);
}

/** gVisor's best platform this runsc offers without /dev/kvm: systrap where it exists, else ptrace. */
export function runscPlatform(runsc: string): string {
  const listed = runCommandSync([runsc, 'platforms'], { timeoutMs: 10_000 }).stdout;
  return /\bsystrap\b/.test(listed) ? 'systrap' : 'ptrace';
}

/**
 * Removes everything a podman folder holds and everything its containers made elsewhere:
 * containers, images, conmon processes, overlay mounts, the run's cgroup parent. Synchronous,
 * for teardown.
 */
function removePodmanState(host: PodmanHost, cgroupParent: string): void {
  runCommandSync(podmanArgv(host, ['rm', '--force', '--all', '--time', '0']), { timeoutMs: 60_000 });
  runCommandSync(podmanArgv(host, ['rmi', '--force', '--all']), { timeoutMs: 60_000 });
  // conmon outlives a killed podman; its arguments name the folder.
  killProcesses(processesMentioning(host.dir));
  unmountUnder(host.dir);
  removeCgroupTrees((name) => name === cgroupParent);
}

export const podmanDriver = defineContainerDriver({
  id: 'podman',
  title: 'Podman (daemonless, conmon + OCI runtime)',
  defaultTimeoutMs: 60_000,
  requires: ['podman', 'runc', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options, cell, notes }) => {
    const runtime = runtimeOf(cell);
    const runtimePath = findTool(runtime)!;
    const platform = runtime === 'runsc' ? runscPlatform(runtimePath) : undefined;
    const host: PodmanHost = {
      podman: findTool('podman')!,
      dir: workDir,
      runtime,
      runtimePath,
      // gVisor's own network stack fails on new host kernels; the containers have no network anyway.
      runtimeFlags: platform ? [`platform=${platform}`, 'network=none'] : [],
      hideUnifiedCgroup: runtime === 'crun' && unifiedMounted(),
    };
    notes.push(`OCI runtime: ${runtime}`);
    if (platform) notes.push(`gVisor platform: ${platform}`);
    if (host.hideUnifiedCgroup)
      notes.push(`crun runs in a private mount namespace without ${UNIFIED_CGROUP} (hybrid cgroup host)`);
    if (runRoot(host.dir).length > MAX_RUNROOT)
      throw new Error(
        `podman's runroot ${runRoot(host.dir)} is over ${MAX_RUNROOT} characters, which podman refuses; set TMPDIR to a shorter folder`,
      );
    for (const sub of ['root', 'tmp']) await mkdir(join(host.dir, sub), { recursive: true });
    const entries = await rootfsEntries(busybox);
    const layer = imageLayer(entries);
    const layerPath = join(workDir, 'layer.tar');
    await writeFile(layerPath, layer.tar);
    const image = `localhost/virtbench/rootfs:${REAL_RUN_ID}`;
    const removeSharedState = sharedPathsCreatedDuring(SHARED_STATE);
    const cgroupParent = runCgroupParent();
    const artifacts: CleanupHandle = registerCleanup(
      `podman containers, image and storage of run ${REAL_RUN_ID}`,
      () => {
        removePodmanState(host, cgroupParent);
        removeSharedState();
      },
    );
    const importImage = async (): Promise<void> => {
      await runCommand(podmanArgv(host, ['import', '--change', `LABEL ${RUN_LABEL}`, layerPath, image]), {
        timeoutMs: options.timeoutMs,
      });
    };
    try {
      await importImage();
    } catch (error) {
      artifacts.release();
      throw error;
    }
    const inspect = async (name: string, format: string, ...flags: string[]): Promise<string> =>
      (
        await runCommand(podmanArgv(host, ['container', 'inspect', ...flags, '--format', format, name]), {
          timeoutMs: options.timeoutMs,
        })
      ).stdout.trim();
    let idle = 0;
    const session: DriverSession & ImageHooks = {
      // Attached: the container prints the line once podman has created it and the runtime has
      // started it; podman then removes it (--rm) before exiting, which the launcher waits for.
      boot: { argv: podmanInstanceArgv(host, image, { command: IN_ROOTFS.boot }), marker: READY_MARKER },
      images: () =>
        importedImageSizes(
          'podman',
          image,
          podmanArgv(host, ['image', 'inspect', '--format', '{{.Size}}', image]),
          layer,
          'its private store',
          options.timeoutMs,
        ),
      idleEstimateMiB: 24,
      isVm: false,
      startIdle: async () => {
        const name = `virtbench-${REAL_RUN_ID}-idle-${idle++}`;
        const remove = registerCleanup(`podman container ${name}`, () =>
          runCommandSync(podmanArgv(host, ['rm', '--force', '--time', '0', name]), { timeoutMs: 30_000 }),
        );
        // Detached, as a service runs: what stays is conmon and the container, not the podman client.
        await runCommand(podmanInstanceArgv(host, image, { command: IN_ROOTFS.idle, name, detach: true }), {
          timeoutMs: options.timeoutMs,
        });
        return {
          pids: async () => [Number(await inspect(name, '{{.State.ConmonPid}}'))],
          storageBytes: async () => Number(await inspect(name, '{{.SizeRw}}', '--size')) || 0,
          stop: async () => remove.release(),
        };
      },
      runWorkload: async (reps) =>
        (
          await runCommand(podmanInstanceArgv(host, image, { command: IN_ROOTFS.work(reps) }), {
            timeoutMs: workloadTimeoutMs(options, reps),
          })
        ).stdout.split('\n'),
      // Start mode image-inclusive: the import is what makes the image usable from nothing.
      prepareImage: importImage,
      discardImage: async () => {
        await runCommand(podmanArgv(host, ['rmi', '--force', image]), { timeoutMs: options.timeoutMs });
      },
      dispose: async () => artifacts.release(),
    };
    return session;
  },
});

/**
 * What killed runs left: for each podman folder of a run id starting with `runIdPrefix` whose
 * virtbench process is gone, its containers, image, conmon processes, mounts and cgroup parent.
 * Returns what it removed; the folders themselves go with the run's temporary directory.
 */
export function cleanPodmanLeftovers(runIdPrefix = ''): string[] {
  const podman = findTool('podman');
  const runc = findTool('runc') ?? 'runc';
  return deadRunFolders('podman', runIdPrefix)
    .filter(({ folder }) => existsSync(join(folder, 'root')))
    .map(({ runId, folder }) => {
      if (podman) {
        const host: PodmanHost = {
          podman,
          dir: folder,
          runtime: 'runc',
          runtimePath: runc,
          runtimeFlags: [],
          hideUnifiedCgroup: false,
        };
        removePodmanState(host, runCgroupParent(runId));
      }
      rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
      return `podman storage of run ${runId} (${folder})`;
    });
}
