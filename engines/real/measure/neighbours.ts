import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../../shared/process-alive.js';
import { median } from '../../shared/stats.js';
import type { Cell } from '../../types.js';
import { DEFAULT_APP_RUN } from '../apps/app.js';
import { redisApp } from '../apps/redis.js';
import type { DriverSession, RunningServer } from '../driver-spec.js';
import { createLimitGroup, type InstanceLimits, limitsUnavailable } from '../host/limits.js';
import { processTree } from '../host/procfs.js';
import { freePort, waitForServer } from '../host/server.js';
import { runCommand } from '../host/spawn.js';
import type { ResolvedRealOptions } from '../options.js';
import { appDir, toolPaths } from './apps.js';

/**
 * Noisy neighbours, measured: a victim instance serves Redis while an aggressor instance of the
 * same engine on the same host runs a hog, and the victim's p99 GET latency (redis-benchmark on
 * the host, one client) is compared with its latency alone. Each hog runs twice: as the engine
 * starts it, and with cgroup limits on CPU, memory, processes and direct disk writes put on it
 * from outside. Then, for VMs, a guest kernel panic in a third instance: do the neighbours keep
 * answering, and does the panicked VMM exit?
 */

/**
 * The aggressors: fixed busybox shell scripts (never scenario text), each run in its own
 * instance by `busybox sh -c`. The fork flood is bounded, unlike a real fork bomb: it keeps
 * spawning short-lived processes as fast as it can without ever holding more than a few dozen at
 * once, so without limits it loads the scheduler and the pid allocator without exhausting the
 * host's pids, which would take down every run on the machine, this one included.
 */
export const AGGRESSORS = {
  cpu: 'while :; do :; done & while :; do :; done',
  memory: 'while :; do "$0" dd if=/dev/zero of=/dev/null bs=32M count=32 2>/dev/null; done',
  disk: 'while :; do "$0" dd if=/dev/zero of="$1/hog" bs=1M count=64 oflag=direct conv=fsync 2>/dev/null; done',
  fork: 'while :; do for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do "$0" true & done; wait; done',
} as const;
export type Aggressor = keyof typeof AGGRESSORS;

/** The limits an aggressor gets in its limited run: half a core, 64 MiB, 32 processes, 8 MiB/s of direct writes. */
export function aggressorLimits(writeDevicePath: string): InstanceLimits {
  return { cpus: 0.5, memoryMiB: 64, pids: 32, writeBytesPerSecond: 8 * 2 ** 20, writeDevicePath };
}

/** Runs of the victim's probe at each setting; the median p99 is kept. */
const PROBE_RUNS = 3;
/** Time an aggressor runs before the victim is probed, so the hog is at full strength. */
const AGGRESSOR_SETTLE_MS = 1000;

export interface NeighbourOutcome {
  readonly samples: Record<string, number[]>;
  readonly details: Record<string, string>;
}

/** The victim's slowdown: its p99 beside the aggressor over its p99 alone. */
export function slowdown(soloP99Us: number, withAggressorP99Us: number): number {
  return withAggressorP99Us / soloP99Us;
}

export async function measureNeighbours(
  session: DriverSession,
  cell: Cell,
  context: { busybox: string; workDir: string; options: ResolvedRealOptions; notes: string[] },
): Promise<NeighbourOutcome> {
  if (!session.startServer)
    throw new Error('the driver cannot start instances running a given command (no startServer hook)');
  const startServer = session.startServer.bind(session);
  const { busybox, workDir, options, notes } = context;
  const tools = toolPaths(redisApp);
  const samples: Record<string, number[]> = {};
  const details: Record<string, string> = {};
  const shared = cell.options.network === 'host' && !session.isVm;
  const victimDir = await appDir(workDir, 'victim');
  const port = await freePort();
  const victimArgv = await redisApp.prepareServer(
    victimDir,
    { address: shared ? '127.0.0.1' : '0.0.0.0', port },
    tools,
  );
  const victim = await startServer({
    argv: victimArgv,
    port,
    hostPaths: redisApp.hostPaths,
    writableDir: victimDir,
    network: cell.options.network,
  });
  try {
    await waitForServer(victim.host, victim.port, redisApp.probe, options.timeoutMs);
    const probe = async (): Promise<number> => {
      const p99s: number[] = [];
      for (let run = 0; run < PROBE_RUNS; run++) {
        const argv = redisApp.client('kv-get', { host: victim.host, port: victim.port }, 1, tools, {
          ...DEFAULT_APP_RUN,
          requests: 5000,
        });
        const figures = redisApp.parse('kv-get', (await runCommand(argv, { timeoutMs: options.timeoutMs * 2 })).stdout);
        p99s.push(figures.latencyP99Us);
      }
      return median(p99s);
    };
    const solo = await probe();
    samples['neighbours.solo_p99'] = [solo];
    const unavailable = limitsUnavailable();
    if (unavailable) notes.push(`neighbours: limited runs skipped: ${unavailable}`);
    for (const aggressor of Object.keys(AGGRESSORS) as Aggressor[]) {
      for (const limited of unavailable ? [false] : [false, true]) {
        const dir = await appDir(workDir, `aggressor-${aggressor}${limited ? '-limited' : ''}`);
        const hog = await startServer({
          argv: [busybox, 'sh', '-c', AGGRESSORS[aggressor], busybox, dir],
          port: await freePort(),
          hostPaths: ['/usr', '/lib', '/lib64'],
          writableDir: dir,
          network: cell.options.network,
        });
        const group = limited ? createLimitGroup(`aggressor-${aggressor}`, aggressorLimits(dir)) : undefined;
        try {
          if (group) {
            group.attach(await processTree(await hog.pids()));
            for (const reason of group.unset) notes.push(`neighbours: ${aggressor} aggressor: ${reason}`);
          }
          await sleep(AGGRESSOR_SETTLE_MS);
          // Processes the hog forked before it was moved stay outside the limits: move the tree again.
          if (group) group.attach(await processTree(await hog.pids()));
          const p99 = await probe();
          samples[`neighbours.${aggressor}${limited ? '_limited' : ''}`] = [slowdown(solo, p99)];
        } finally {
          await hog.stop().catch(() => undefined);
          try {
            group?.release();
          } catch (error) {
            notes.push(`neighbours: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
    }
    notes.push(
      `neighbours: the victim serves Redis GETs; its p99 over ${PROBE_RUNS} runs of redis-benchmark (1 client, 5,000 requests) ` +
        `beside each aggressor of the same engine, over its p99 alone (${(solo / 1000).toFixed(3)} ms). Limited runs put the ` +
        `aggressor in a cgroup with 0.5 CPU, 64 MiB, 32 pids and 8 MiB/s of direct writes.`,
    );
    if (session.isVm) {
      const panic = await guestPanic(startServer, victim, busybox, context);
      samples['neighbours.panic_contained'] = [panic.contained ? 1 : 0];
      details['neighbours.panic_contained'] = panic.description;
    } else {
      details['neighbours.solo_p99'] =
        'a host-kernel fault cannot be injected safely; for containers the kernel-fault case is modeled';
    }
  } finally {
    await victim.stop().catch(() => undefined);
  }
  return { samples, details };
}

/**
 * A guest kernel panic in a third VM: its init writes c to /proc/sysrq-trigger. The panic is
 * contained when the victim VM still answers afterwards and the panicked VM's VMM has exited
 * (QEMU runs with -no-reboot, so a guest that panics and reboots ends the VMM).
 */
async function guestPanic(
  startServer: NonNullable<DriverSession['startServer']>,
  victim: RunningServer,
  busybox: string,
  context: { workDir: string; options: ResolvedRealOptions },
): Promise<{ contained: boolean; description: string }> {
  const dir = await appDir(context.workDir, 'panic');
  const doomed = await startServer({
    argv: [busybox, 'sh', '-c', 'sleep 1; echo c > /proc/sysrq-trigger; sleep 60', busybox],
    port: await freePort(),
    hostPaths: ['/usr', '/lib', '/lib64'],
    writableDir: dir,
    network: 'host',
  });
  try {
    const vmm = await doomed.pids();
    const deadline = performance.now() + context.options.timeoutMs;
    let exited = false;
    while (performance.now() < deadline) {
      if (!vmm.some(processAlive)) {
        exited = true;
        break;
      }
      await sleep(200);
    }
    let answered = true;
    try {
      await waitForServer(victim.host, victim.port, redisApp.probe, context.options.timeoutMs);
    } catch {
      answered = false;
    }
    const contained = exited && answered;
    return {
      contained,
      description:
        `a guest kernel panic (echo c > /proc/sysrq-trigger): the panicked VMM ${exited ? 'exited' : 'kept running'}, ` +
        `the neighbouring VM ${answered ? 'kept answering' : 'stopped answering'}`,
    };
  } finally {
    await doomed.stop().catch(() => undefined);
  }
}
