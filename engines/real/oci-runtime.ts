import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runInstanceOnce } from './define-driver.js';
import type { DriverSession, SessionContext } from './driver-spec.js';
import { ociAppHooks } from './guest/oci-app.js';
import { IN_ROOTFS, imageLayer, materializeRootfs, ociConfig, unpackedBytes } from './guest/rootfs.js';
import { READY_MARKER } from './guest/scripts.js';
import { type CleanupHandle, registerCleanup } from './host/cleanup.js';
import { removeLabeledCgroups, runLabel } from './host/leftovers.js';
import { runCommand, runCommandSync, startInstance } from './host/spawn.js';
import { workloadTimeoutMs } from './options.js';

/**
 * A session for an OCI runtime with runc's command line (`<runtime> --root <state> run --bundle
 * <dir> <id>`, `kill`, `delete`, `state`): crun and runsc. The state root lives in the cell's
 * temporary directory, and every container id and cgroup path is labeled with the run id, so a
 * killed run's containers and cgroups are found and removed (engines/real/host/leftovers.ts).
 */

/** What one container of the session sees beyond the generated rootfs. */
export interface ContainerShape {
  /** Host paths bind-mounted read-only at the same place (a server's /usr, /lib). */
  readonly readOnlyPaths?: readonly string[];
  /** 'none': its own empty network namespace (the default); 'host': the host's network. */
  readonly network?: 'none' | 'host';
}

export interface OciRuntime {
  /** The driver id: names the network namespaces its application containers get. */
  readonly driver: string;
  /** argv up to the subcommand, the state root included; may start with a wrapper (crun's mount namespace). */
  readonly prefix: readonly string[];
  /** For the image description: "crun", "runsc (gVisor, ptrace)". */
  readonly description: string;
  readonly idleEstimateMiB: number;
  /** The processes of a running container, from `state`'s pid and its bundle (runsc adds its gofer). */
  readonly pidsOf?: (statePid: number, bundleDir: string) => Promise<number[]>;
  /**
   * Whether a server in the container can be reached from the host: not when the runtime keeps
   * its own network off (runsc --network=none), where only benchmarks that run to completion fit.
   */
  readonly servesNetwork: boolean;
}

/** An OCI config for one container: ociConfig plus a labeled cgroup path and the container's shape. */
export function containerConfig(
  rootfs: string,
  args: readonly string[],
  label: string,
  shape: ContainerShape = {},
): Record<string, unknown> {
  const config = ociConfig(rootfs, args, label) as {
    mounts: Record<string, unknown>[];
    linux: { namespaces: { type: string }[]; cgroupsPath?: string };
  };
  config.linux.cgroupsPath = `/${label}`;
  for (const path of shape.readOnlyPaths ?? [])
    config.mounts.push({ destination: path, type: 'bind', source: path, options: ['rbind', 'ro'] });
  if (shape.network === 'host') config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'network');
  return config;
}

export async function openOciRuntimeSession(context: SessionContext, runtime: OciRuntime): Promise<DriverSession> {
  const { busybox, workDir, options } = context;
  const { entries, rootfs } = await materializeRootfs(busybox, workDir);
  const layer = imageLayer(entries);
  const handles: CleanupHandle[] = [];
  /** Removes a container whatever state it is in, and its cgroups; registered before it exists. */
  const track = (id: string): CleanupHandle => {
    const handle = registerCleanup(`container ${id}`, () => {
      runCommandSync([...runtime.prefix, 'kill', id, 'KILL'], { timeoutMs: 10_000 });
      runCommandSync([...runtime.prefix, 'delete', '--force', id], { timeoutMs: 10_000 });
      removeLabeledCgroups(id);
    });
    handles.push(handle);
    return handle;
  };
  /**
   * The one place a container's command is built: its bundle (args, read-only mounts, network
   * namespace) and the runtime's argv that runs it. The id doubles as the cgroup label.
   */
  const container = async (
    name: string,
    args: readonly string[],
    shape: ContainerShape = {},
    detach = false,
  ): Promise<{ id: string; argv: string[]; dir: string }> => {
    const id = runLabel(name);
    const dir = join(workDir, 'bundles', name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify(containerConfig(rootfs, args, id, shape), null, 2));
    return { id, dir, argv: [...runtime.prefix, 'run', ...(detach ? ['--detach'] : []), '--bundle', dir, id] };
  };
  const boot = await container('boot', IN_ROOTFS.boot);
  track(boot.id);
  return {
    // `run` creates, starts, waits for and deletes the container: one command per boot.
    boot: { argv: boot.argv, marker: READY_MARKER },
    images: async () => ({
      onDiskBytes: unpackedBytes(entries),
      compressedBytes: layer.gzip.length,
      description: `${runtime.description}: OCI layer ${(layer.tar.length / 2 ** 20).toFixed(2)} MiB as tar, ${(layer.gzip.length / 2 ** 20).toFixed(2)} MiB gzip-compressed, ${(unpackedBytes(entries) / 2 ** 20).toFixed(2)} MiB unpacked`,
    }),
    idleEstimateMiB: runtime.idleEstimateMiB,
    isVm: false,
    startIdle: async (index) => {
      const idle = await container(`idle-${index}`, IN_ROOTFS.idle, {}, true);
      const handle = track(idle.id);
      // Detached: the runtime exits once the container runs; the container keeps the output pipe.
      const instance = await startInstance(idle.argv, { marker: READY_MARKER, timeoutMs: options.timeoutMs });
      return {
        pids: async () => {
          const state = JSON.parse(
            (await runCommand([...runtime.prefix, 'state', idle.id], { timeoutMs: options.timeoutMs })).stdout,
          ) as { pid: number };
          return runtime.pidsOf ? runtime.pidsOf(state.pid, idle.dir) : [state.pid];
        },
        storageBytes: async () => 0,
        stop: async () => {
          handle.release();
          instance.kill();
        },
      };
    },
    runWorkload: async (reps) => {
      const work = await container('work', IN_ROOTFS.work(reps));
      return runInstanceOnce(work.argv, track(work.id), workloadTimeoutMs(options, reps));
    },
    ...appHooks(),
    dispose: async () => {
      for (const handle of handles.reverse()) handle.release();
    },
  };

  function appHooks(): Pick<DriverSession, 'startServer' | 'runInInstance'> {
    const hooks = ociAppHooks({
      driver: runtime.driver,
      rootfs,
      workDir,
      timeoutMs: options.timeoutMs,
      runArgv: (dir, id) => [...runtime.prefix, 'run', '--bundle', dir, id],
      containerId: runLabel,
      track,
    });
    return runtime.servesNetwork ? hooks : { runInInstance: hooks.runInInstance };
  }
}
