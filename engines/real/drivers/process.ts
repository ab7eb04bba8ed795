import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { busyboxAvailability } from '../availability.js';
import { defineRealDriver, idleProcess } from '../define-driver.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { IDLE_SCRIPT, READY_MARKER, WORK_SCRIPT } from '../guest/scripts.js';
import { runNativeSteps, startNativeServer } from '../host/server.js';
import { runCommand, startInstance } from '../host/spawn.js';
import { workloadTimeoutMs } from '../options.js';

/** The native baseline: the static busybox exec'd directly on the host, no isolation at all. */
export const processDriver = defineRealDriver({
  id: 'process',
  title: 'Process (exec of a static binary)',
  kind: () => 'native',
  modeledCounterpart: () => 'native',
  defaultTimeoutMs: 20_000,
  requires: [BUSYBOX_PACKAGE],
  availability: async () => (await busyboxAvailability()).availability,
  open: async ({ busybox, workDir, options }) => {
    const idleScript = join(workDir, 'idle.sh');
    const workScript = join(workDir, 'work.sh');
    await writeFile(idleScript, IDLE_SCRIPT);
    await writeFile(workScript, WORK_SCRIPT);
    return {
      // A process has no boot to stop the clock at: its start cost is the exec of the binary,
      // timed to its exit as hyperfine times a command; the readiness line is still required.
      boot: { argv: [busybox, 'echo', READY_MARKER], marker: READY_MARKER, readyAtExit: true },
      images: async () => ({
        onDiskBytes: (await stat(busybox)).size,
        description: `process: the static binary ${busybox}`,
      }),
      idleEstimateMiB: 4,
      isVm: false,
      startIdle: async () =>
        idleProcess(
          await startInstance([busybox, 'sh', idleScript, busybox], {
            marker: READY_MARKER,
            timeoutMs: options.timeoutMs,
          }),
        ),
      runWorkload: async (reps) => {
        const result = await runCommand([busybox, 'sh', workScript, busybox, join(workDir, 'disk'), String(reps)], {
          timeoutMs: workloadTimeoutMs(options, reps),
          cwd: workDir,
        });
        return result.stdout.split('\n');
      },
      // The native baseline: the server on the host, in the host's network (a process has no
      // network of its own, whatever the cell's network mode).
      startServer: (launch) => startNativeServer(busybox, launch, options.timeoutMs),
      runInInstance: (launch) => runNativeSteps(busybox, launch),
    };
  },
});
