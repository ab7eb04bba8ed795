import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Availability, combineAvailability, missing, present, toolAvailability } from '../availability.js';
import { defineContainerDriver } from '../define-driver.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { IN_INSTANCE, IN_ROOTFS, imageLayer, importedImageSizes, rootfsEntries } from '../guest/rootfs.js';
import { READY_MARKER } from '../guest/scripts.js';
import { type CleanupHandle, registerCleanup } from '../host/cleanup.js';
import { announcedServer, freePort, splitSteps, startServerProcess, writeStepsScript } from '../host/server.js';
import { findTool, REAL_RUN_ID, runCommand, runCommandSync, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * Docker Engine, when a daemon answers. The image is imported from the same generated rootfs
 * layer runc boots, so nothing is pulled; every container and the image carry a label with this
 * run's id, so teardown finds them whatever happened.
 */

const RUN_LABEL = `virtbench.run=${REAL_RUN_ID}`;

async function availability(): Promise<Availability> {
  const parts = await toolAvailability('docker', ['docker.io'], (docker) => {
    const info = runCommandSync([docker, 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 });
    if (info.code === 0) return present(`Docker Engine ${info.stdout.trim()} (${docker})`);
    const why = info.stderr.trim().split('\n').pop() ?? `exit ${info.code ?? info.signal}`;
    return missing(`no Docker daemon answers (${why}); start dockerd`, ['docker.io']);
  });
  return combineAvailability(...parts);
}

/** Removes every container of this run (by label), then the image. Synchronous, for teardown. */
function removeRunArtifacts(docker: string, image: string): void {
  const listed = runCommandSync([docker, 'ps', '--all', '--quiet', '--filter', `label=${RUN_LABEL}`], {
    timeoutMs: 30_000,
  });
  const ids = listed.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length > 0) runCommandSync([docker, 'rm', '--force', '--volumes', ...ids], { timeoutMs: 60_000 });
  runCommandSync([docker, 'image', 'rm', '--force', image], { timeoutMs: 30_000 });
}

export const dockerDriver = defineContainerDriver({
  id: 'docker',
  title: 'Docker Engine (containerd, runc)',
  defaultTimeoutMs: 60_000,
  requires: ['docker.io', BUSYBOX_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options }) => {
    const docker = findTool('docker')!;
    const entries = await rootfsEntries(busybox);
    const layer = imageLayer(entries);
    const layerPath = join(workDir, 'layer.tar');
    await writeFile(layerPath, layer.tar);
    const image = `virtbench/rootfs:${REAL_RUN_ID}`;
    const artifacts: CleanupHandle = registerCleanup(`docker containers and image of run ${REAL_RUN_ID}`, () =>
      removeRunArtifacts(docker, image),
    );
    // The image store's copy of the layer: what image-inclusive boots re-create before each start.
    const importImage = async (): Promise<void> => {
      await runCommand([docker, 'import', '--change', `LABEL ${RUN_LABEL}`, layerPath, image], {
        timeoutMs: options.timeoutMs,
      });
    };
    try {
      await importImage();
    } catch (error) {
      artifacts.release();
      throw error;
    }
    const run = (...args: string[]): string[] => [
      docker,
      'run',
      ...(options.runtime ? ['--runtime', options.runtime] : []),
      '--rm',
      '--network',
      'none',
      '--label',
      RUN_LABEL,
      ...args,
    ];
    let containers = 0;
    /**
     * `docker run` of an application container: host paths bound read-only at the same place, a
     * writable directory, and the network Docker gives it (host, or its bridge with NAT).
     */
    const appRun = (name: string, hostPaths: readonly string[], writableDir: string, network: string[]): string[] => [
      docker,
      'run',
      '--rm',
      '--name',
      name,
      '--label',
      RUN_LABEL,
      ...hostPaths.flatMap((path) => ['--volume', `${path}:${path}:ro`]),
      '--volume',
      `${writableDir}:${writableDir}`,
      ...network,
    ];
    /** A container registered for removal by name before it exists. */
    const appContainer = (): { name: string; remove: CleanupHandle } => {
      const name = `virtbench-${REAL_RUN_ID}-app-${containers++}`;
      const remove = registerCleanup(`docker container ${name}`, () =>
        runCommandSync([docker, 'rm', '--force', name], { timeoutMs: 30_000 }),
      );
      return { name, remove };
    };
    return {
      // Detached: the client returns once the daemon has started the container, so its exit is
      // the readiness signal (the id it prints comes earlier, right after create). The daemon's
      // teardown of the exited container follows and is waited for, untimed, before the next boot.
      boot: {
        argv: [docker, 'run', '--detach', ...run(image, ...IN_ROOTFS.boot).slice(2)],
        marker: '',
        readyAtExit: true,
        settleCommand: ['sleep', '1'],
      },
      afterBoot: async (timing) => {
        const id = timing.lines[0]?.trim();
        if (!id) return;
        const deadline = performance.now() + options.timeoutMs;
        while (performance.now() < deadline) {
          const inspect = await runCommand([docker, 'container', 'inspect', '--format', '{{.State.Status}}', id], {
            timeoutMs: options.timeoutMs,
            allowFailure: true,
          });
          if (inspect.code !== 0) return; // removed
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      images: () =>
        importedImageSizes(
          'docker',
          image,
          [docker, 'image', 'inspect', '--format', '{{.Size}}', image],
          layer,
          'the image store',
          options.timeoutMs,
        ),
      idleEstimateMiB: 24,
      isVm: false,
      startIdle: async () => {
        const name = `virtbench-${REAL_RUN_ID}-idle-${containers++}`;
        const remove = registerCleanup(`docker container ${name}`, () =>
          runCommandSync([docker, 'rm', '--force', name], { timeoutMs: 30_000 }),
        );
        const client = await startInstance(run('--name', name, image, ...IN_ROOTFS.idle), {
          marker: READY_MARKER,
          timeoutMs: options.timeoutMs,
        });
        const inspect = async (format: string, ...flags: string[]): Promise<string> =>
          (
            await runCommand([docker, 'container', 'inspect', ...flags, '--format', format, name], {
              timeoutMs: options.timeoutMs,
            })
          ).stdout.trim();
        return {
          // The container's processes and the containerd shim that holds them; the client is not the instance.
          pids: async () => {
            const pid = Number(await inspect('{{.State.Pid}}'));
            const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
            const shim = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            return [shim];
          },
          storageBytes: async () => Number(await inspect('{{.SizeRw}}', '--size')) || 0,
          stop: async () => {
            remove.release();
            client.kill();
          },
        };
      },
      runWorkload: async (reps) =>
        (
          await runCommand(run(image, ...IN_ROOTFS.work(reps)), { timeoutMs: workloadTimeoutMs(options, reps) })
        ).stdout.split('\n'),
      prepareImage: importImage,
      discardImage: async () => {
        await runCommand([docker, 'image', 'rm', '--force', image], { timeoutMs: options.timeoutMs });
      },
      // Bridge: Docker's default bridge, the port published on the host's loopback through
      // Docker's NAT rules (and its userland proxy for loopback clients), as `docker run -p` does.
      startServer: async (launch) => {
        const { name, remove } = appContainer();
        const hostPort = launch.network === 'bridge' ? await freePort() : launch.port;
        const network =
          launch.network === 'bridge'
            ? ['--network', 'bridge', '--publish', `127.0.0.1:${hostPort}:${launch.port}`]
            : ['--network', 'host'];
        const writable = launch.writableDir ?? workDir;
        const argv = [
          ...appRun(name, launch.hostPaths, writable, network),
          image,
          ...announcedServer([IN_INSTANCE.busybox, 'sh'], launch.argv),
        ];
        try {
          const server = await startServerProcess(argv, options.timeoutMs);
          return {
            host: '127.0.0.1',
            port: hostPort,
            pids: async () => {
              const inspect = await runCommand([docker, 'container', 'inspect', '--format', '{{.State.Pid}}', name], {
                timeoutMs: options.timeoutMs,
              });
              return [Number(inspect.stdout.trim())];
            },
            stop: async () => {
              remove.release();
              server.kill();
            },
          };
        } catch (error) {
          remove.release();
          throw error;
        }
      },
      runInInstance: async (launch) => {
        const { name, remove } = appContainer();
        const script = await writeStepsScript(launch);
        const argv = [
          ...appRun(name, launch.hostPaths, launch.writableDir, ['--network', 'none', '--workdir', launch.writableDir]),
          image,
          IN_INSTANCE.busybox,
          'sh',
          script,
        ];
        try {
          return splitSteps((await runCommand(argv, { timeoutMs: launch.timeoutMs })).stdout, launch.steps.length);
        } finally {
          remove.release();
        }
      },
      dispose: async () => artifacts.release(),
    };
  },
});
