import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { median } from '../../shared/stats.js';
import type { Cell } from '../../types.js';
import {
  type AppFigures,
  type AppRunSettings,
  DEFAULT_APP_RUN,
  PILOT_REQUESTS,
  type RealApp,
  type ToolPaths,
} from '../apps/app.js';
import type { DriverSession, RunningServer } from '../driver-spec.js';
import { freePort, runNativeSteps, startNativeServer, waitForServer } from '../host/server.js';
import { findTool, runCommand } from '../host/spawn.js';
import type { ResolvedRealOptions } from '../options.js';

/**
 * A real application natively and in one engine's instance, in alternating pairs. Servers
 * (Redis, nginx) run natively (the process driver's way: on the host, on loopback) and in the
 * instance at the same time, idle but for the client; the client on the host then drives one and
 * the other in turn, so a change in host load falls on both halves of a pair. Benchmarks that run
 * to completion (sysbench, fio) run natively and in a fresh instance in turn.
 */

export interface AppMeasurement {
  readonly samples: Record<string, number[]>;
  readonly details: Record<string, string>;
}

/** Why a session cannot run an application, or undefined when it can. */
export function appUnsuitability(driver: string, session: DriverSession, app: RealApp): string | undefined {
  if (app.kind === 'server' && !session.startServer)
    return `${driver} cannot run application servers yet (its driver has no startServer hook)`;
  if (app.kind === 'command' && !session.runInInstance)
    return `${driver} cannot run benchmark commands in its instances yet (its driver has no runInInstance hook)`;
  const missing = app.tools.filter((tool) => !findTool(tool));
  if (missing.length > 0) return `${missing.join(', ')} not found (Debian packages: ${app.packages.join(' ')})`;
  return undefined;
}

export function toolPaths(app: RealApp): ToolPaths {
  return Object.fromEntries(app.tools.map((tool) => [tool, findTool(tool)!]));
}

/** A directory both the host and the instance's (possibly unprivileged) server can use. */
export async function appDir(workDir: string, name: string): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  return dir;
}

export async function measureApp(
  session: DriverSession,
  app: RealApp,
  cell: Cell,
  context: { busybox: string; workDir: string; options: ResolvedRealOptions; notes: string[] },
  run: AppRunSettings = DEFAULT_APP_RUN,
): Promise<AppMeasurement> {
  const workload = cell.workload.name;
  const tools = toolPaths(app);
  const reps = context.options.workloadRepetitions;
  const pairs: { native: AppFigures; instance: AppFigures }[] = [];
  if (app.kind === 'server') {
    const clients = cell.workload.clients ?? 1;
    const timeoutMs = context.options.timeoutMs * 2 + run.seconds * 1000;
    const nativePort = await freePort();
    const nativeDir = await appDir(context.workDir, 'app-native');
    const nativeArgv = await app.prepareServer(nativeDir, { address: '127.0.0.1', port: nativePort }, tools);
    // The instance's server listens on every address of its own network (bridge, VM), or on loopback when it shares the host's.
    const shared = cell.options.network === 'host' && !session.isVm;
    const instancePort = await freePort();
    const instanceDir = await appDir(context.workDir, 'app-instance');
    const instanceArgv = await app.prepareServer(
      instanceDir,
      { address: shared ? '127.0.0.1' : '0.0.0.0', port: instancePort },
      tools,
    );
    const servers: RunningServer[] = [];
    try {
      const native = await startNativeServer(
        context.busybox,
        { argv: nativeArgv, port: nativePort, hostPaths: [], writableDir: nativeDir, network: 'host' },
        context.options.timeoutMs,
      );
      servers.push(native);
      const instance = await session.startServer!({
        argv: instanceArgv,
        port: instancePort,
        hostPaths: app.hostPaths,
        writableDir: instanceDir,
        network: cell.options.network,
      });
      servers.push(instance);
      await waitForServer(native.host, native.port, app.probe, context.options.timeoutMs);
      await waitForServer(instance.host, instance.port, app.probe, context.options.timeoutMs);
      context.notes.push(`server in the instance reached at ${instance.host}:${instance.port}`);
      const drive = async (server: RunningServer, settings: AppRunSettings): Promise<AppFigures> => {
        const argv = app.client(workload, { host: server.host, port: server.port }, clients, tools, settings);
        return app.parse(workload, (await runCommand(argv, { timeoutMs })).stdout);
      };
      // A request-counted client gets, per server, as many requests as it serves in about `seconds`.
      const sized = async (server: RunningServer): Promise<AppRunSettings> => {
        if (app.boundedBy !== 'requests') return run;
        const pilot = await drive(server, { ...run, requests: Math.max(PILOT_REQUESTS, clients) });
        const requests = Math.round(Math.min(run.requests, Math.max(PILOT_REQUESTS, pilot.throughput * run.seconds)));
        return { ...run, requests };
      };
      const nativeRun = await sized(native);
      const instanceRun = await sized(instance);
      if (app.boundedBy === 'requests')
        context.notes.push(
          `requests per run: native ${nativeRun.requests}, in instance ${instanceRun.requests} (sized by a pilot run to about ${run.seconds} s)`,
        );
      for (let rep = 0; rep < reps; rep++)
        pairs.push({ native: await drive(native, nativeRun), instance: await drive(instance, instanceRun) });
    } finally {
      for (const server of servers.reverse()) await server.stop();
    }
  } else {
    const timeoutMs = context.options.timeoutMs * 2 + run.seconds * 1000 * 4;
    const launch = async (name: string) => {
      const dir = await appDir(context.workDir, name);
      return { steps: app.steps(workload, dir, tools, run), hostPaths: app.hostPaths, writableDir: dir, timeoutMs };
    };
    const nativeLaunch = await launch('app-native');
    const instanceLaunch = await launch('app-instance');
    const step = app.resultStep(workload);
    for (let rep = 0; rep < reps; rep++) {
      const native = app.parse(workload, (await runNativeSteps(context.busybox, nativeLaunch))[step] ?? '');
      const instance = app.parse(workload, (await session.runInInstance!(instanceLaunch))[step] ?? '');
      pairs.push({ native, instance });
    }
  }
  return appSamples(app, workload, pairs, context.notes);
}

/**
 * The instance's figures, and its slowdown against native in each pair: native throughput over
 * the instance's, minus one, in percent: how much longer the same operations take.
 */
export function appSamples(
  app: RealApp,
  workload: string,
  pairs: readonly { native: AppFigures; instance: AppFigures }[],
  notes: string[],
): AppMeasurement {
  const slowdown = pairs.map((p) => (p.native.throughput / p.instance.throughput - 1) * 100);
  const samples: Record<string, number[]> = {
    throughput: pairs.map((p) => p.instance.throughput),
    latency: pairs.map((p) => p.instance.latencyUs),
    'latency.p99': pairs.map((p) => p.instance.latencyP99Us),
    overhead_total: slowdown,
  };
  samples[app.dimension] = slowdown;
  const show = (figures: AppFigures[]): string =>
    `${Math.round(median(figures.map((f) => f.throughput)))} ops/s, p50 ${median(figures.map((f) => f.latencyUs)).toFixed(0)} µs, p99 ${median(figures.map((f) => f.latencyP99Us)).toFixed(0)} µs`;
  notes.push(
    ...app.notes(workload),
    `${workload} (median of ${pairs.length}): native ${show(pairs.map((p) => p.native))}; in instance ${show(pairs.map((p) => p.instance))}`,
  );
  return { samples, details: { throughput: app.operation(workload) } };
}
