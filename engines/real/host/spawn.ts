import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type CleanupHandle, registerCleanup } from './cleanup.js';

/**
 * Spawning for real drivers. Every command is an argv array (nothing is ever parsed by a shell),
 * every wait has a timeout, and every process runs in its own process group so that a timeout
 * or Ctrl-C can kill it together with its children.
 */

/** Tags every process virtbench starts, so a leak check can find them in /proc/<pid>/environ. */
export const RUN_ENV = 'VIRTBENCH_REAL_RUN';
/** Identifies this virtbench process's real run among others on the host. */
export const REAL_RUN_ID = `${process.pid}-${Date.now().toString(36)}`;

/** Directories searched after PATH: runc and dockerd live in sbin, which a user's PATH may omit. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of an executable, or undefined when it is not installed. */
export function findTool(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    message: string,
    readonly result?: CommandResult,
  ) {
    super(`${describeArgv(argv)}: ${message}${result?.stderr.trim() ? ` (${tail(result.stderr)})` : ''}`);
    this.name = 'CommandError';
  }
}

function tail(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join(' / ');
}

/** argv for messages: the program's base name and its arguments, abbreviated. */
export function describeArgv(argv: readonly string[]): string {
  const shown = argv.slice(0, 6).map((a) => (a.length > 60 ? `${a.slice(0, 57)}...` : a));
  return shown.join(' ') + (argv.length > 6 ? ' ...' : '');
}

export interface SpawnOptions {
  readonly timeoutMs: number;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Resolve with the result instead of rejecting when the command exits non-zero. */
  readonly allowFailure?: boolean;
}

function childEnv(extra?: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, [RUN_ENV]: REAL_RUN_ID };
}

/** Kills a process group, ignoring one that is already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function track(child: ChildProcess, argv: readonly string[]): CleanupHandle {
  const pid = child.pid;
  const handle = registerCleanup(`process ${pid} (${describeArgv(argv)})`, () => killGroup(pid));
  child.once('exit', () => handle.forget());
  return handle;
}

/**
 * Every child starts in its own process group (detached) with piped output and is tracked, so the
 * cleanup registry can kill the whole group on timeout, failure or a signal.
 */
function spawnTracked(argv: readonly string[], options: SpawnOptions, caller: string) {
  const [program, ...args] = argv;
  if (!program) throw new Error(`${caller}: empty argv`);
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return { child, handle: track(child, argv) };
}

/** Runs a command to completion and collects its output. */
export function runCommand(argv: readonly string[], options: SpawnOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // An empty argv throws here, which rejects the promise.
    const { child, handle } = spawnTracked(argv, options, 'runCommand');
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      handle.release();
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      handle.forget();
      reject(new CommandError(argv, error.message));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result: CommandResult = { code, signal, stdout, stderr, ms: performance.now() - started };
      if (timedOut) reject(new CommandError(argv, `timed out after ${options.timeoutMs} ms`, result));
      else if (code !== 0 && !options.allowFailure)
        reject(new CommandError(argv, `exited with ${code ?? signal}`, result));
      else resolve(result);
    });
  });
}

/** Synchronous variant for teardowns and quick probes; never throws on a non-zero exit. */
export function runCommandSync(argv: readonly string[], options: { timeoutMs: number; cwd?: string }): CommandResult {
  const [program, ...args] = argv;
  const started = performance.now();
  const out = spawnSync(program!, args, {
    cwd: options.cwd,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: out.status,
    signal: out.signal,
    stdout: out.stdout ?? '',
    stderr: out.stderr ?? (out.error ? out.error.message : ''),
    ms: performance.now() - started,
  };
}

/**
 * Hands each complete line of `buffer` (without its newline or a trailing carriage return) to
 * onLine, in order, and returns the unfinished rest for the next chunk of output.
 */
export function drainLines(buffer: string, onLine: (line: string) => void): string {
  let rest = buffer;
  for (let newline = rest.indexOf('\n'); newline >= 0; newline = rest.indexOf('\n')) {
    onLine(rest.slice(0, newline).replace(/\r$/, ''));
    rest = rest.slice(newline + 1);
  }
  return rest;
}

export interface InstanceOptions extends SpawnOptions {
  /** The readiness marker: the first output line containing it means the instance is ready. */
  readonly marker: string;
  /** Extra teardown for what the process leaves behind when killed (a runc container, ...). */
  readonly label?: string;
}

/** A long-running process started by startInstance. */
export interface Instance {
  readonly pid: number;
  /** Spawn to the marker line, ms. */
  readonly readyMs: number;
  /** Output lines so far (stdout), the marker line included. */
  readonly lines: string[];
  /** Resolves when the process exits, or rejects after timeoutMs (and kills it). */
  waitExit(timeoutMs: number): Promise<{ code: number | null; signal: string | null }>;
  /** Waits until an output line contains `text`, or rejects after timeoutMs. */
  waitForLine(text: string, timeoutMs: number): Promise<string>;
  /** Kills the process group. */
  kill(): void;
}

/** Starts a process and resolves when its output shows the readiness marker. */
export function startInstance(argv: readonly string[], options: InstanceOptions): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // An empty argv throws here, which rejects the promise.
    const { child, handle } = spawnTracked(argv, options, 'startInstance');
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let exit: { code: number | null; signal: string | null } | undefined;
    const lineWaiters = new Set<(line: string) => void>();
    const exitWaiters = new Set<() => void>();
    let ready = false;
    const fail = (message: string): void => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      handle.release();
      reject(
        new CommandError(argv, message, {
          code: exit?.code ?? null,
          signal: exit?.signal ?? null,
          stdout: lines.join('\n'),
          stderr,
          ms: performance.now() - started,
        }),
      );
    };
    const timer = setTimeout(() => fail(`no "${options.marker}" within ${options.timeoutMs} ms`), options.timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (data: string) => {
      partial = drainLines(partial + data, (line) => {
        lines.push(line);
        for (const waiter of lineWaiters) waiter(line);
        if (!ready && line.includes(options.marker)) {
          ready = true;
          clearTimeout(timer);
          resolve(instance(performance.now() - started));
        }
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    child.once('error', (error) => fail(error.message));
    child.once('close', (code, signal) => {
      exit = { code, signal };
      for (const waiter of exitWaiters) waiter();
      fail(`exited with ${code ?? signal} before "${options.marker}"`);
    });
    const instance = (readyMs: number): Instance => ({
      pid: child.pid!,
      readyMs,
      lines,
      kill: () => handle.release(),
      waitExit: (timeoutMs) =>
        new Promise((res, rej) => {
          if (exit) return res(exit);
          const t = setTimeout(() => {
            exitWaiters.delete(done);
            handle.release();
            rej(new CommandError(argv, `did not exit within ${timeoutMs} ms`));
          }, timeoutMs);
          const done = (): void => {
            clearTimeout(t);
            res(exit!);
          };
          exitWaiters.add(done);
        }),
      waitForLine: (text, timeoutMs) =>
        new Promise((res, rej) => {
          const seen = lines.find((l) => l.includes(text));
          if (seen !== undefined) return res(seen);
          const t = setTimeout(() => {
            lineWaiters.delete(check);
            rej(
              new CommandError(argv, `no "${text}" within ${timeoutMs} ms`, {
                code: exit?.code ?? null,
                signal: exit?.signal ?? null,
                stdout: lines.slice(-5).join('\n'),
                stderr,
                ms: 0,
              }),
            );
          }, timeoutMs);
          const check = (line: string): void => {
            if (!line.includes(text)) return;
            clearTimeout(t);
            lineWaiters.delete(check);
            res(line);
          };
          lineWaiters.add(check);
        }),
    });
  });
}
