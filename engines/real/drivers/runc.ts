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
import { ociAppHooks } from '../guest/oci-app.js';
import {
  IN_ROOTFS,
  imageLayer,
  materializeRootfs,
  ociConfig,
  unpackableRootfs,
  unpackedBytes,
} from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { type CleanupHandle, registerCleanup } from '../host/cleanup.js';
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
    const bootBundle = await bundle('boot', IN_ROOTFS.boot);
    const bootId = containerId('boot');
    track(bootId);
    // Image-inclusive: the bundle's rootfs is unpacked from the OCI layer before each boot.
    const image =
      options.startMode === 'image-inclusive' ? await unpackableRootfs(entries, rootfs, options.timeoutMs) : undefined;
    return {
      ...(image ? { prepareImage: image.unpack, discardImage: image.discard } : {}),
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
      ...ociAppHooks({
        driver: 'runc',
        rootfs,
        workDir,
        timeoutMs: options.timeoutMs,
        runArgv: (dir, id) => [runc, 'run', '--bundle', dir, id],
        containerId,
        track,
      }),
      dispose: async () => {
        for (const handle of handles.reverse()) handle.release();
      },
    };
  },
});
