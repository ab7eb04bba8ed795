import { writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import type { CommandLaunch, RunningServer, ServerLaunch } from '../driver-spec.js';
import { READY_MARKER } from '../guest/scripts.js';
import { type BridgeNetwork, createBridgeNetwork } from './netns.js';
import { runCommand, startInstance } from './spawn.js';

/**
 * Helpers for application servers in instances: a free port, the readiness of a server judged by
 * an answer to a real request, and the argv that announces a server's start to startInstance.
 */

/** A TCP port nothing on the host listens on now (the kernel's pick); others may take it later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned')),
      );
    });
  });
}

/** One request/response exchange; resolves with whether the reply starts as expected. */
function probeOnce(host: string, port: number, send: string, expect: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    let settled = false;
    const socket = createConnection({ host, port });
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(send));
    socket.on('data', (data: string) => {
      reply += data;
      if (reply.length >= expect.length) finish(reply.startsWith(expect));
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(reply.startsWith(expect)));
  });
}

/**
 * Waits until the server answers a request as expected. A listening socket alone is not enough:
 * QEMU's port forward accepts connections before the guest's server exists.
 */
export async function waitForServer(
  host: string,
  port: number,
  probe: { send: string; expect: string },
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probeOnce(host, port, probe.send, probe.expect, Math.min(2000, timeoutMs))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no server answered on ${host}:${port} within ${timeoutMs} ms`);
}

/**
 * The argv that prints the readiness marker, then becomes the server (exec), through a shell the
 * instance has. The server's own arguments stay positional parameters: no shell parses them.
 */
export function announcedServer(shell: readonly string[], argv: readonly string[]): string[] {
  return [...shell, '-c', `echo ${READY_MARKER}; exec "$@"`, 'server', ...argv];
}

/**
 * A shell script that runs each step (an argv) in order in `dir`, printing a separator line after
 * each, so one instance can prepare, run and clean up. Every argument is single-quoted.
 */
export function stepsScript(steps: readonly (readonly string[])[], dir: string): string {
  const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;
  return [
    '# virtbench: application steps, each followed by its separator',
    `cd ${quote(dir)} || exit 1`,
    ...steps.flatMap((argv, i) => [`${argv.map(quote).join(' ')} || exit 1`, `echo ${STEP_SEPARATOR}${i}`]),
    '',
  ].join('\n');
}

export const STEP_SEPARATOR = 'virtbench-step-done-';

/** The standard output of each step of a stepsScript run, in order. */
export function splitSteps(output: string, steps: number): string[] {
  const outputs: string[] = [];
  let rest = output;
  for (let i = 0; i < steps; i++) {
    const marker = `${STEP_SEPARATOR}${i}`;
    const at = rest.indexOf(marker);
    if (at < 0)
      throw new Error(`step ${i + 1} of ${steps} did not finish: ${rest.trim().split('\n').slice(-3).join(' / ')}`);
    outputs.push(rest.slice(0, at));
    rest = rest.slice(at + marker.length);
  }
  return outputs;
}

/** A server run natively: on the host, in the host's network, through the host's busybox shell. */
export async function startNativeServer(
  busybox: string,
  launch: ServerLaunch,
  timeoutMs: number,
): Promise<RunningServer> {
  const server = await startServerProcess(announcedServer([busybox, 'sh'], launch.argv), timeoutMs);
  return { host: '127.0.0.1', port: launch.port, pids: async () => [server.pid], stop: async () => server.kill() };
}

/** Command steps run natively, in the launch's directory. */
export async function runNativeSteps(busybox: string, launch: CommandLaunch): Promise<string[]> {
  const script = await writeStepsScript(launch);
  const result = await runCommand([busybox, 'sh', script], { timeoutMs: launch.timeoutMs, cwd: launch.writableDir });
  return splitSteps(result.stdout, launch.steps.length);
}

/** What every server instance is on the host: a process tree started by startInstance. */
export interface ServerProcess {
  readonly pid: number;
  kill(): void;
}

/** Starts a server's argv (already wrapped by announcedServer) and waits for its marker line. */
export async function startServerProcess(argv: readonly string[], timeoutMs: number): Promise<ServerProcess> {
  const instance = await startInstance(argv, { marker: READY_MARKER, timeoutMs });
  return { pid: instance.pid, kill: () => instance.kill() };
}

/** Writes the steps of a command launch as a script in its writable directory, which the instance sees at the same path. */
export async function writeStepsScript(launch: {
  readonly steps: readonly (readonly string[])[];
  readonly writableDir: string;
}): Promise<string> {
  const path = join(launch.writableDir, '.virtbench-steps.sh');
  await writeFile(path, stepsScript(launch.steps, launch.writableDir));
  return path;
}

/** The command that runs a server, given the network it joins, and what removes its instance. */
export interface ServerCommand {
  readonly argv: readonly string[];
  readonly teardown?: () => void;
}

/**
 * A server on the host's network, or, for bridge mode, in a network namespace of its own reached
 * through a veth pair (host/netns.ts). `commandFor` builds the instance's command for that
 * network; stopping the server removes the instance, then the namespace.
 */
export async function startServerInNetwork(
  driver: string,
  launch: ServerLaunch,
  timeoutMs: number,
  commandFor: (network: BridgeNetwork | undefined) => Promise<ServerCommand> | ServerCommand,
): Promise<RunningServer> {
  const network = launch.network === 'bridge' ? await createBridgeNetwork(driver) : undefined;
  let command: ServerCommand | undefined;
  try {
    command = await commandFor(network);
    const server = await startServerProcess(command.argv, timeoutMs);
    const teardown = command.teardown;
    return {
      host: network?.instanceAddress ?? '127.0.0.1',
      port: launch.port,
      pids: async () => [server.pid],
      stop: async () => {
        teardown?.();
        server.kill();
        network?.release();
      },
    };
  } catch (error) {
    command?.teardown?.();
    network?.release();
    throw error;
  }
}
