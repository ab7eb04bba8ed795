import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DriverSession } from '../driver-spec.js';
import type { CleanupHandle } from '../host/cleanup.js';
import { announcedServer, splitSteps, startServerInNetwork, writeStepsScript } from '../host/server.js';
import { runCommand } from '../host/spawn.js';
import { IN_INSTANCE, ociConfig } from './rootfs.js';

/**
 * The one place an OCI runtime's application container is described: the generated rootfs,
 * host paths bound read-only at the same place (the tools and their libraries), a writable
 * directory, and which network namespace the container joins. Every OCI driver's startServer and
 * runInInstance write this config, so the hook is a few lines per runtime.
 */

/** host: the host's network namespace; a path: join that namespace (bridge mode); own: a new, empty one. */
export type ContainerNetwork =
  | { readonly kind: 'host' }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'own' };

export interface AppContainer {
  readonly args: readonly string[];
  readonly hostPaths: readonly string[];
  readonly writableDir?: string;
  readonly network: ContainerNetwork;
  /** Working directory inside the container; default /. */
  readonly cwd?: string;
}

export function ociAppConfig(rootfs: string, hostname: string, app: AppContainer): Record<string, unknown> {
  const config = ociConfig(rootfs, app.args, hostname) as {
    process: Record<string, unknown>;
    mounts: Record<string, unknown>[];
    linux: { namespaces: { type: string; path?: string }[] };
  };
  config.process.cwd = app.cwd ?? '/';
  // The tools a host binary finds on PATH: sh for step scripts comes from busybox in /bin.
  config.process.env = [
    ...(config.process.env as string[]).filter((e) => !e.startsWith('PATH=')),
    'PATH=/bin:/usr/bin:/usr/sbin',
  ];
  for (const path of app.hostPaths)
    config.mounts.push({ destination: path, type: 'bind', source: path, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  if (app.writableDir)
    config.mounts.push({
      destination: app.writableDir,
      type: 'bind',
      source: app.writableDir,
      options: ['rbind', 'rw'],
    });
  const others = config.linux.namespaces.filter((ns) => ns.type !== 'network');
  if (app.network.kind === 'own') others.push({ type: 'network' });
  if (app.network.kind === 'path') others.push({ type: 'network', path: app.network.path });
  config.linux.namespaces = others;
  return config;
}

/** What an OCI runtime's session gives the application hooks. */
export interface OciAppRuntime {
  /** The driver id, for network namespace names. */
  readonly driver: string;
  readonly rootfs: string;
  readonly workDir: string;
  readonly timeoutMs: number;
  /** argv that runs the bundle in `dir` as container `id` (`runc run --bundle dir id`). */
  runArgv(dir: string, id: string): string[];
  /** A container id for a name, labeled with the run. */
  containerId(name: string): string;
  /** Registers a container's teardown before it exists. */
  track(id: string): CleanupHandle;
}

/**
 * startServer and runInInstance for any OCI runtime: the server, or the benchmark's steps, in a
 * container of the generated rootfs with the host's tools bound read-only (ociAppConfig), on the
 * host's network, a veth pair into a namespace of its own (bridge), or no network at all.
 */
export function ociAppHooks(runtime: OciAppRuntime): Pick<DriverSession, 'startServer' | 'runInInstance'> {
  let apps = 0;
  const bundle = async (name: string, app: AppContainer): Promise<string> => {
    const dir = join(runtime.workDir, 'bundles', name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify(ociAppConfig(runtime.rootfs, `virtbench-${name}`, app), null, 2),
    );
    return dir;
  };
  return {
    startServer: (launch) => {
      const name = `app-${apps++}`;
      const id = runtime.containerId(name);
      return startServerInNetwork(runtime.driver, launch, runtime.timeoutMs, async (network) => {
        const handle = runtime.track(id);
        const dir = await bundle(name, {
          args: announcedServer([IN_INSTANCE.busybox, 'sh'], launch.argv),
          hostPaths: launch.hostPaths,
          writableDir: launch.writableDir,
          network: network ? { kind: 'path', path: network.path } : { kind: 'host' },
        });
        return { argv: runtime.runArgv(dir, id), teardown: () => handle.release() };
      });
    },
    runInInstance: async (launch) => {
      const name = `app-${apps++}`;
      const id = runtime.containerId(name);
      const handle = runtime.track(id);
      const script = await writeStepsScript(launch);
      const dir = await bundle(name, {
        args: [IN_INSTANCE.busybox, 'sh', script],
        hostPaths: launch.hostPaths,
        writableDir: launch.writableDir,
        network: { kind: 'own' },
        cwd: launch.writableDir,
      });
      try {
        const result = await runCommand(runtime.runArgv(dir, id), { timeoutMs: launch.timeoutMs });
        return splitSteps(result.stdout, launch.steps.length);
      } finally {
        handle.release();
      }
    },
  };
}
