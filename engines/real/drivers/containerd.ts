import { rmSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import { IN_ROOTFS, imageLayer, materialize, materializeRootfs, unpackedBytes } from '../guest/rootfs.js';
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
import { findTool, REAL_RUN_ID, runCommand, runCommandSync, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * containerd driven by its own client, `ctr run`, against a containerd this driver starts for the
 * cell with its own configuration, socket, root and state folders under the cell's work directory,
 * and stops when the cell ends. Containers run the generated rootfs folder directly (`--rootfs`),
 * through containerd's runc shim (io.containerd.runc.v2), as Docker and Kubernetes use it.
 */

const LABEL = `virtbench.run=${REAL_RUN_ID}`;
/** containerd's log line once every plugin has loaded and its socket serves. */
const BOOTED_MARKER = 'containerd successfully booted';
const NAMESPACE = 'virtbench';
/**
 * containerd 1.6 puts shim sockets under /run/containerd/s whatever its state folder is, and ctr
 * its I/O FIFOs under /run/containerd/fifo unless told (it is, with --fifo-dir).
 */
const SHARED_STATE = ['/run/containerd/fifo', '/run/containerd/s', '/run/containerd'];

async function availability(): Promise<Availability> {
  const parts = await toolAvailability('containerd', ['containerd'], (containerd) => {
    const version = runCommandSync([containerd, '--version'], { timeoutMs: 10_000 }).stdout.trim();
    return present(`${version} (${containerd})`);
  });
  const needed = ['ctr', 'containerd-shim-runc-v2', 'runc'].map((tool) => {
    const path = findTool(tool);
    return path
      ? present(`${tool} (${path})`)
      : missing(`${tool} not found`, [tool === 'runc' ? 'runc' : 'containerd']);
  });
  return combineAvailability(
    ...parts,
    ...needed,
    rootAvailability('containerd runs as root here: rootless containerd needs RootlessKit'),
  );
}

/** The start-mode hooks (image-inclusive starts), which sessions gain as optional members. */
interface ImageHooks {
  prepareImage(): Promise<void>;
  discardImage(): Promise<void>;
}

/** This cell's containerd: where it listens, and the folders its containers' state goes to. */
interface ContainerdHost {
  readonly ctr: string;
  /** The cell's containerd folder; its path carries the run's id, and so do the shims' arguments. */
  readonly dir: string;
  readonly address: string;
  readonly runcRoot: string;
  readonly fifoDir: string;
  readonly cgroupParent: string;
}

function ctrArgv(host: ContainerdHost, args: readonly string[]): string[] {
  return [host.ctr, '--address', host.address, '--namespace', NAMESPACE, ...args];
}

/** One container: what it runs and how it reaches the host (contract of the application hook). */
export interface ContainerdInstanceSpec {
  readonly id: string;
  readonly command: readonly string[];
  /** none: a network namespace of its own with only loopback; host: the host's. */
  readonly network?: 'none' | 'host';
  /** Host paths bind-mounted read-only at the same place inside. */
  readonly readOnlyPaths?: readonly string[];
  /** A host folder bind-mounted read-write at the same place inside. */
  readonly writableDir?: string;
  /** Return once the task runs, its output discarded; otherwise wait for it and remove it. */
  readonly detach?: boolean;
}

function bindMount(path: string, mode: 'ro' | 'rw'): string[] {
  return ['--mount', `type=bind,src=${path},dst=${path},options=rbind:${mode}`];
}

/** The one place a containerd container's argv is built: boots, idle instances, workloads. */
export function containerdInstanceArgv(host: ContainerdHost, rootfs: string, spec: ContainerdInstanceSpec): string[] {
  return ctrArgv(host, [
    'run',
    ...(spec.detach ? ['--detach', '--null-io'] : ['--rm']),
    '--rootfs',
    '--runc-root',
    host.runcRoot,
    '--fifo-dir',
    host.fifoDir,
    '--cgroup',
    `/${host.cgroupParent}/${spec.id}`,
    '--label',
    LABEL,
    ...(spec.network === 'host' ? ['--net-host'] : []),
    ...(spec.readOnlyPaths ?? []).flatMap((path) => bindMount(path, 'ro')),
    ...(spec.writableDir ? bindMount(spec.writableDir, 'rw') : []),
    rootfs,
    spec.id,
    ...spec.command,
  ]);
}

/** containerd's configuration: every path under the cell's folder, and no CRI (nothing here is Kubernetes). */
function daemonConfig(dir: string, address: string): string {
  const quote = (value: string): string => JSON.stringify(value);
  return [
    'version = 2',
    `root = ${quote(join(dir, 'root'))}`,
    `state = ${quote(join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = ${quote(address)}`,
    '[ttrpc]',
    `  address = ${quote(`${address}.ttrpc`)}`,
    '[debug]',
    '  level = "info"',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${quote(join(dir, 'opt'))}`,
    '',
  ].join('\n');
}

/** Stops every task and removes every container of the cell's namespace, while the daemon still answers. */
function removeContainers(host: ContainerdHost): void {
  const listed = runCommandSync(ctrArgv(host, ['containers', 'list', '--quiet']), { timeoutMs: 20_000 });
  if (listed.code !== 0) return;
  for (const id of listed.stdout.split('\n').map((line) => line.trim())) {
    if (id) removeContainer(host, id);
  }
}

function removeContainer(host: ContainerdHost, id: string): void {
  runCommandSync(ctrArgv(host, ['tasks', 'delete', '--force', id]), { timeoutMs: 20_000 });
  runCommandSync(ctrArgv(host, ['containers', 'delete', id]), { timeoutMs: 20_000 });
}

/**
 * What outlives a stopped containerd: shims (started in their own process groups) and the
 * containers they hold, mounts, the run's cgroup parent. Synchronous, for teardown.
 */
function removeDaemonRemains(dir: string, cgroupParent: string): void {
  // A shim's arguments name the daemon's socket, which lies in the cell's folder.
  killProcesses(processesMentioning(dir));
  removeCgroupTrees((name) => name === cgroupParent);
  unmountUnder(dir);
}

export const containerdDriver = defineContainerDriver({
  id: 'containerd',
  title: 'containerd (ctr, runc shim v2)',
  defaultTimeoutMs: 60_000,
  requires: ['containerd', 'runc', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options, notes }) => {
    const containerd = findTool('containerd')!;
    const dir = join(workDir, 'containerd');
    const host: ContainerdHost = {
      ctr: findTool('ctr')!,
      dir,
      // Short names: a unix socket path may hold 107 bytes.
      address: join(dir, 'c.sock'),
      runcRoot: join(dir, 'runc'),
      fifoDir: join(dir, 'fifo'),
      cgroupParent: runCgroupParent(),
    };
    for (const sub of ['root', 'state', 'opt', 'runc', 'fifo']) await mkdir(join(dir, sub), { recursive: true });
    const config = join(dir, 'config.toml');
    await writeFile(config, daemonConfig(dir, host.address));
    const { entries, rootfs } = await materializeRootfs(busybox, workDir);
    const layer = imageLayer(entries);
    const removeSharedState = sharedPathsCreatedDuring(SHARED_STATE);
    // Registered first, so it runs last: after the containers are gone and the daemon is stopped.
    const remains: CleanupHandle = registerCleanup(`containerd shims and cgroups of run ${REAL_RUN_ID}`, () => {
      removeDaemonRemains(dir, host.cgroupParent);
      removeSharedState();
    });
    let daemon: Awaited<ReturnType<typeof startInstance>>;
    try {
      // containerd logs to stderr; the fixed script joins it to stdout, where the marker is watched for.
      daemon = await startInstance(['/bin/sh', '-c', 'exec "$@" 2>&1', 'sh', containerd, '--config', config], {
        marker: BOOTED_MARKER,
        timeoutMs: options.timeoutMs,
      });
    } catch (error) {
      remains.release();
      throw error;
    }
    notes.push(`containerd started for this cell in ${daemon.readyMs.toFixed(0)} ms (${host.address})`);
    const containers = registerCleanup(`containerd containers of run ${REAL_RUN_ID}`, () => removeContainers(host));
    const dispose = async (): Promise<void> => {
      containers.release();
      daemon.kill();
      remains.release();
    };
    const tracked = (id: string): CleanupHandle =>
      registerCleanup(`containerd container ${id}`, () => removeContainer(host, id));
    const session: DriverSession & ImageHooks = {
      // Attached: the task's output reaches ctr through FIFOs; ctr then waits for the exit and
      // deletes the task and container (--rm), which the launcher waits for.
      boot: {
        argv: containerdInstanceArgv(host, rootfs, { id: 'boot', command: IN_ROOTFS.boot }),
        marker: READY_MARKER,
      },
      images: async () => ({
        onDiskBytes: unpackedBytes(entries),
        compressedBytes: layer.gzip.length,
        description: `containerd: the rootfs folder, ${(unpackedBytes(entries) / 2 ** 20).toFixed(2)} MiB unpacked, run as is (ctr run --rootfs); as an OCI layer ${(layer.gzip.length / 2 ** 20).toFixed(2)} MiB gzip-compressed`,
      }),
      idleEstimateMiB: 12,
      isVm: false,
      startIdle: async (index) => {
        const id = `idle-${index}`;
        const handle = tracked(id);
        // Detached: ctr returns once the task runs, leaving the shim and the container.
        await runCommand(containerdInstanceArgv(host, rootfs, { id, command: IN_ROOTFS.idle, detach: true }), {
          timeoutMs: options.timeoutMs,
        });
        return {
          pids: async () => {
            const listed = await runCommand(ctrArgv(host, ['tasks', 'list']), { timeoutMs: options.timeoutMs });
            const row = listed.stdout.split('\n').find((line) => line.split(/\s+/)[0] === id);
            const pid = Number(row?.split(/\s+/)[1]);
            if (!Number.isInteger(pid) || pid <= 0) throw new Error(`ctr tasks list shows no task ${id}`);
            const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
            // The shim is the task's parent; its tree holds the container.
            return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])];
          },
          storageBytes: async () => 0,
          stop: async () => handle.release(),
        };
      },
      runWorkload: async (reps) => {
        const handle = tracked('work');
        try {
          return (
            await runCommand(containerdInstanceArgv(host, rootfs, { id: 'work', command: IN_ROOTFS.work(reps) }), {
              timeoutMs: workloadTimeoutMs(options, reps),
            })
          ).stdout.split('\n');
        } finally {
          handle.release();
        }
      },
      // Start mode image-inclusive: with --rootfs, unpacking the rootfs folder is the image's preparation.
      prepareImage: () => materialize(entries, rootfs),
      discardImage: () => rm(rootfs, { recursive: true, force: true }),
      dispose,
    };
    return session;
  },
});

/**
 * What killed runs left: for each containerd folder of a run id starting with `runIdPrefix` whose
 * virtbench process is gone, its daemon, shims, containers, mounts, cgroup parent and the folder.
 * Returns what it removed.
 */
export function cleanContainerdLeftovers(runIdPrefix = ''): string[] {
  return deadRunFolders('containerd', runIdPrefix).map(({ runId, folder }) => {
    removeDaemonRemains(folder, runCgroupParent(runId));
    rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
    return `containerd of run ${runId} (${folder})`;
  });
}
