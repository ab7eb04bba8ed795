import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Availability,
  combineAvailability,
  present,
  rootAvailability,
  toolAvailability,
} from '../availability.js';
import { defineContainerDriver } from '../define-driver.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { type AppContainer, ociAppConfig } from '../guest/oci-app.js';
import { IN_INSTANCE, IN_ROOTFS, imageLayer, materializeRootfs, ociConfig, unpackedBytes } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { type CleanupHandle, registerCleanup } from '../host/cleanup.js';
import { createBridgeNetwork } from '../host/netns.js';
import { announcedServer, splitSteps, startServerProcess, writeStepsScript } from '../host/server.js';
import { findTool, REAL_RUN_ID, runCommand, runCommandSync, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * runc, the OCI reference runtime, on a bundle virtbench generates: config.json following
 * `runc spec` and a rootfs holding only busybox-static and virtbench's scripts.
 */

async function availability(): Promise<Availability> {
  const parts = await toolAvailability('runc', ['runc'], (runc) => {
    const version = runCommandSync([runc, '--version'], { timeoutMs: 5000 }).stdout.split('\n')[0]?.trim() ?? '';
    return present(`${version} (${runc})`);
  });
  return combineAvailability(
    ...parts,
    rootAvailability('rootless runc needs a user-namespace config virtbench does not generate'),
  );
}

/** Removes a runc container whatever state it is in; registered before the container exists. */
export function trackRuncContainer(runc: string, id: string): CleanupHandle {
  return registerCleanup(`runc container ${id}`, () => {
    runCommandSync([runc, 'kill', id, 'KILL'], { timeoutMs: 10_000 });
    runCommandSync([runc, 'delete', '--force', id], { timeoutMs: 10_000 });
  });
}

export const runcDriver = defineContainerDriver({
  id: 'runc',
  title: 'runc (OCI bundle from busybox-static)',
  defaultTimeoutMs: 30_000,
  requires: ['runc', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options }) => {
    const runc = findTool('runc')!;
    const { entries, rootfs } = await materializeRootfs(busybox, workDir);
    const layer = imageLayer(entries);
    const handles: CleanupHandle[] = [];
    /** A bundle directory whose config.json runs `args` in the shared rootfs. */
    const bundle = async (name: string, args: readonly string[]): Promise<string> => {
      const dir = join(workDir, 'bundles', name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'config.json'), JSON.stringify(ociConfig(rootfs, args, `virtbench-${name}`), null, 2));
      return dir;
    };
    const containerId = (name: string): string => `virtbench-${REAL_RUN_ID}-${name}`;
    const track = (id: string): CleanupHandle => {
      const handle = trackRuncContainer(runc, id);
      handles.push(handle);
      return handle;
    };
    /** A bundle for an application container: host paths, a writable directory, a network. */
    const appBundle = async (name: string, app: AppContainer): Promise<string> => {
      const dir = join(workDir, 'bundles', name);
      await mkdir(dir, { recursive: true });
      const config = ociAppConfig(rootfs, `virtbench-${name}`, app);
      await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
      return dir;
    };
    let apps = 0;
    const bootBundle = await bundle('boot', IN_ROOTFS.boot);
    const bootId = containerId('boot');
    track(bootId);
    return {
      // `runc run` creates, starts, waits for and deletes the container: one command per boot.
      boot: { argv: [runc, 'run', '--bundle', bootBundle, bootId], marker: READY_MARKER },
      images: async () => ({
        onDiskBytes: unpackedBytes(entries),
        compressedBytes: layer.gzip.length,
        description: `runc: OCI layer ${(layer.tar.length / 2 ** 20).toFixed(2)} MiB as tar, ${(layer.gzip.length / 2 ** 20).toFixed(2)} MiB gzip-compressed, ${(unpackedBytes(entries) / 2 ** 20).toFixed(2)} MiB unpacked`,
      }),
      idleEstimateMiB: 8,
      isVm: false,
      startIdle: async (index) => {
        const name = `idle-${index}`;
        const id = containerId(name);
        const handle = track(id);
        const dir = await bundle(name, IN_ROOTFS.idle);
        // Detached, as runc is meant to run: it exits once the container runs, leaving only the container.
        const instance = await startInstance([runc, 'run', '--detach', '--bundle', dir, id], {
          marker: READY_MARKER,
          timeoutMs: options.timeoutMs,
        });
        return {
          pids: async () => {
            const state = JSON.parse(
              (await runCommand([runc, 'state', id], { timeoutMs: options.timeoutMs })).stdout,
            ) as { pid: number };
            return [state.pid];
          },
          storageBytes: async () => 0,
          stop: async () => {
            handle.release();
            instance.kill();
          },
        };
      },
      runWorkload: async (reps) => {
        const id = containerId('work');
        const handle = track(id);
        const dir = await bundle('work', IN_ROOTFS.work(reps));
        try {
          return (
            await runCommand([runc, 'run', '--bundle', dir, id], { timeoutMs: workloadTimeoutMs(options, reps) })
          ).stdout.split('\n');
        } finally {
          handle.release();
        }
      },
      startServer: async (launch) => {
        const name = `app-${apps++}`;
        const id = containerId(name);
        const network = launch.network === 'bridge' ? await createBridgeNetwork('runc') : undefined;
        try {
          const handle = track(id);
          const dir = await appBundle(name, {
            args: announcedServer([IN_INSTANCE.busybox, 'sh'], launch.argv),
            hostPaths: launch.hostPaths,
            writableDir: launch.writableDir,
            network: network ? { kind: 'path', path: network.path } : { kind: 'host' },
          });
          const server = await startServerProcess([runc, 'run', '--bundle', dir, id], options.timeoutMs);
          return {
            host: network?.instanceAddress ?? '127.0.0.1',
            port: launch.port,
            pids: async () => [server.pid],
            stop: async () => {
              handle.release();
              server.kill();
              network?.release();
            },
          };
        } catch (error) {
          network?.release();
          throw error;
        }
      },
      runInInstance: async (launch) => {
        const name = `app-${apps++}`;
        const id = containerId(name);
        const handle = track(id);
        const script = await writeStepsScript(launch);
        const dir = await appBundle(name, {
          args: [IN_INSTANCE.busybox, 'sh', script],
          hostPaths: launch.hostPaths,
          writableDir: launch.writableDir,
          network: { kind: 'own' },
          cwd: launch.writableDir,
        });
        try {
          const result = await runCommand([runc, 'run', '--bundle', dir, id], { timeoutMs: launch.timeoutMs });
          return splitSteps(result.stdout, launch.steps.length);
        } finally {
          handle.release();
        }
      },
      dispose: async () => {
        for (const handle of handles.reverse()) handle.release();
      },
    };
  },
});
