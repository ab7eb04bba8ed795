import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cell, GvisorPlatform } from '../../types.js';
import {
  type Availability,
  combineAvailability,
  missing,
  present,
  rootAvailability,
  toolAvailability,
} from '../availability.js';
import { defineRealDriver } from '../define-driver.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { type GvisorPlatformId, gvisorPlatforms } from '../host/capabilities.js';
import { findTool, runCommandSync } from '../host/spawn.js';
import { openOciRuntimeSession } from '../oci-runtime.js';

/**
 * gVisor's runsc on the same OCI bundle runc boots: the application runs on gVisor's user-space
 * kernel (the Sentry), which intercepts its system calls through the platform (ptrace, systrap or
 * kvm), with a gofer process serving its files. `--network=none`: gVisor's own network stack
 * fails to start on recent host kernels (gVisor #10704), and the instances need no network.
 */

/**
 * A fixed script that runs "$@" with its stdout and stderr on pipes copied by `cat`, and exits
 * with its status. runsc hands its stdio to the sandbox, whose kernel shuts down a socket once
 * the application closes it; the output virtbench reads is a socket pair shared with the caller
 * (the launcher), so without pipes in between the launcher's next write would end in SIGPIPE.
 */
const PIPED_STDIO_SCRIPT = [
  'exec 4>&1',
  's=$( { { { "$@" 2>&1 1>&3 3>&- 4>&- 5>&-; echo $? >&5; } | cat >&2; } 3>&1 | cat >&4; } 5>&1 )',
  'exit "$s"',
].join('; ');

/** The platform a cell asks for (`real.platform`, else the engine option `platform`), if any. */
function requestedPlatform(cell?: Cell): GvisorPlatform | undefined {
  return cell?.options.real?.platform ?? (cell?.options as { platform?: GvisorPlatform } | undefined)?.platform;
}

async function availability(cell?: Cell): Promise<Availability> {
  const parts = await toolAvailability('runsc', ['runsc'], async (runsc) => {
    const version = runCommandSync([runsc, '--version'], { timeoutMs: 5000 }).stdout.split('\n')[0]?.trim() ?? '';
    const platforms = await gvisorPlatforms(runsc);
    const listed = `platforms: ${platforms.known.map((p) => `${p} (${platforms.details[p]})`).join(', ')}`;
    const requested = requestedPlatform(cell);
    if (requested && !platforms.runnable.includes(requested as GvisorPlatformId))
      return missing(`gVisor platform ${requested}: ${platforms.details[requested]}`, ['runsc']);
    if (platforms.runnable.length === 0) return missing(`no gVisor platform runs here; ${listed}`, ['runsc']);
    return present(`${version} (${runsc}); ${listed}`);
  });
  return combineAvailability(
    ...parts,
    rootAvailability('runsc without root (--rootless) cannot give the sandbox its own cgroup and namespaces'),
  );
}

/** The gofer that serves one container's files: a runsc-gofer process started for its bundle. */
async function goferPids(bundleDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args.includes('gofer') && args.some((a) => a === bundleDir || a === `--bundle=${bundleDir}`))
      pids.push(Number(entry));
  }
  return pids;
}

export const runscDriver = defineRealDriver({
  id: 'runsc',
  title: 'gVisor runsc (OCI bundle from busybox-static, --network=none)',
  kind: () => 'sandbox',
  modeledCounterpart: () => 'gvisor',
  defaultTimeoutMs: 60_000,
  requires: ['runsc', BUSYBOX_PACKAGE],
  availability,
  open: async (context) => {
    const runsc = findTool('runsc')!;
    const platforms = await gvisorPlatforms(runsc);
    const platform = requestedPlatform(context.cell) ?? platforms.runnable[0]!;
    context.notes.push(`gVisor platform: ${platform}`);
    const prefix = [
      findTool('sh')!,
      '-c',
      PIPED_STDIO_SCRIPT,
      'runsc-piped',
      runsc,
      '--root',
      join(context.workDir, 'runsc-state'),
      `--platform=${platform}`,
      '--network=none',
    ];
    return openOciRuntimeSession(context, {
      driver: 'runsc',
      prefix,
      description: `runsc (gVisor, ${platform})`,
      // gVisor's own network stack is off (--network=none: it fails on new host kernels), so a
      // server in the sandbox cannot be reached; benchmarks that run to completion still fit.
      servesNetwork: false,
      // The Sentry, its gofer and their Go runtimes: tens of MiB before the application.
      idleEstimateMiB: 48,
      pidsOf: async (sandboxPid, bundleDir) => [sandboxPid, ...(await goferPids(bundleDir))],
    });
  },
});
