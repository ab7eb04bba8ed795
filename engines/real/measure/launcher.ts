import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { median } from '../../shared/stats.js';
import { type CleanupHandle, registerCleanup } from '../host/cleanup.js';
import { CommandError, drainLines, findTool, killGroup, REAL_RUN_ID, RUN_ENV } from '../host/spawn.js';

/**
 * Times short commands the way hyperfine does: from the request to start them until their
 * readiness line and their exit, with as little harness in between as possible.
 *
 * Node forks its whole (large) address space for every child, which on a nested VM costs
 * several milliseconds, more than a static binary takes to run, and leaves Node taking
 * copy-on-write faults for a while after. So commands are started by a persistent dash, which
 * starts each one with vfork (since dash 0.5.11) as hyperfine's posix_spawn does. Starting the
 * command from a pre-forked subshell instead measured slower: the fork leaves both sides
 * paying copy-on-write faults while the clock runs.
 *
 * The arguments are read before the clock starts: dash says it has them and waits for a go
 * line, so the clock covers the start of the command and not the reading of its arguments.
 *
 * The script is fixed. Each argument arrives as one line of data on fd 3 and is only ever
 * expanded as a quoted "$@", never parsed as shell code.
 */
const LAUNCHER_SCRIPT = [
  'while IFS= read -r n <&3; do',
  '  set --',
  '  while [ "$n" -gt 0 ]; do IFS= read -r a <&3; set -- "$@" "$a"; n=$((n-1)); done',
  '  printf "%s\\n" "$VIRTBENCH_LAUNCH_TOKEN" >&2',
  '  IFS= read -r go <&3',
  '  "$@" 3<&-',
  '  s=$?',
  '  printf "\\n%s %s\\n" "$VIRTBENCH_LAUNCH_TOKEN" "$s"',
  '  printf "\\n%s %s\\n" "$VIRTBENCH_LAUNCH_TOKEN" "$s" >&2',
  'done',
].join('\n');

export interface LaunchTiming {
  /** Request to the first output line containing the marker, ms. */
  readonly readyMs: number;
  /** Request to the launcher reporting the command's exit, ms. */
  readonly exitMs: number;
  readonly code: number;
  /** The command's stdout lines. */
  readonly lines: readonly string[];
  readonly stderr: string;
}

/**
 * What the launcher adds to every timing by itself: the go line crossing to dash, and the
 * readiness and exit lines crossing back. It is timed with dash's printf builtin, which starts no
 * process, and subtracted from each boot, as hyperfine subtracts the start of its shell.
 */
export interface LauncherOverhead {
  readonly readyMs: number;
  readonly exitMs: number;
}

const OVERHEAD_MARKER = 'virtbench-launcher-round-trip';

/** How long to leave dash before the go line, so that it is surely blocked reading it. */
const SETTLE_MS = 1;

/** The smallest POSIX shell available: dash on Debian, else sh. */
export function launcherShell(): string | undefined {
  return findTool('dash') ?? findTool('sh');
}

export class Launcher {
  private readonly child: ChildProcess;
  private readonly control: Writable;
  private readonly handle: CleanupHandle;
  private readonly token = `virtbench-launch-${randomBytes(6).toString('hex')}`;
  private stdoutBuffer = '';
  private stderrBuffer = '';
  private onStdoutLine?: (line: string, at: number) => void;
  private onStderrLine?: (line: string, at: number) => void;
  private busy = false;
  private dead = false;
  readonly shell: string;

  constructor() {
    const shell = launcherShell();
    if (!shell) throw new Error('no POSIX shell (dash or sh) found to start commands');
    this.shell = shell;
    this.child = spawn(shell, ['-c', LAUNCHER_SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, VIRTBENCH_LAUNCH_TOKEN: this.token, [RUN_ENV]: REAL_RUN_ID },
    });
    const pid = this.child.pid;
    this.handle = registerCleanup(`launcher ${pid}`, () => killGroup(pid));
    this.control = this.child.stdio[3] as Writable;
    this.control.on('error', () => undefined);
    this.child.once('exit', () => {
      this.dead = true;
      this.handle.forget();
    });
    this.child.stdout!.setEncoding('utf8').on('data', (data: string) => {
      const at = performance.now();
      this.stdoutBuffer = drainLines(this.stdoutBuffer + data, (line) => this.onStdoutLine?.(line, at));
    });
    this.child.stderr!.setEncoding('utf8').on('data', (data: string) => {
      const at = performance.now();
      this.stderrBuffer = drainLines(this.stderrBuffer + data, (line) => this.onStderrLine?.(line, at));
    });
  }

  /** Starts argv, records when `marker` appears (any non-empty line for '') and when it exits. */
  time(argv: readonly string[], marker: string, timeoutMs: number): Promise<LaunchTiming> {
    if (this.dead) return Promise.reject(new Error('the launcher has exited'));
    if (this.busy) return Promise.reject(new Error('the launcher runs one command at a time'));
    for (const arg of argv) {
      if (arg.includes('\n'))
        return Promise.reject(new Error(`an argument with a newline cannot be launched: ${JSON.stringify(arg)}`));
    }
    this.busy = true;
    return new Promise((resolve, reject) => {
      const lines: string[] = [];
      const stderr: string[] = [];
      let readyMs: number | undefined;
      let exit: { ms: number; code: number } | undefined;
      let stderrDone = false;
      const done = (): void => {
        clearTimeout(timer);
        this.busy = false;
        this.onStdoutLine = undefined;
        this.onStderrLine = undefined;
      };
      const finish = (): void => {
        if (!exit || !stderrDone) return;
        done();
        if (readyMs === undefined) {
          reject(
            new CommandError(argv, `exited with ${exit.code} without printing ${marker ? `"${marker}"` : 'a line'}`, {
              code: exit.code,
              signal: null,
              stdout: lines.join('\n'),
              stderr: stderr.join('\n'),
              ms: exit.ms,
            }),
          );
          return;
        }
        resolve({ readyMs, exitMs: exit.ms, code: exit.code, lines, stderr: stderr.join('\n') });
      };
      const timer = setTimeout(() => {
        done();
        this.close();
        reject(
          new CommandError(argv, `timed out after ${timeoutMs} ms`, {
            code: null,
            signal: 'SIGKILL',
            stdout: lines.join('\n'),
            stderr: stderr.join('\n'),
            ms: timeoutMs,
          }),
        );
      }, timeoutMs);
      let started = Number.NaN;
      this.onStdoutLine = (line, at) => {
        if (line.startsWith(`${this.token} `)) {
          exit = { ms: at - started, code: Number(line.slice(this.token.length + 1)) };
          finish();
          return;
        }
        if (line === '') return;
        lines.push(line);
        if (readyMs === undefined && line.includes(marker)) readyMs = at - started;
      };
      this.onStderrLine = (line) => {
        if (line === this.token) {
          setTimeout(() => {
            started = performance.now();
            this.control.write('go\n');
          }, SETTLE_MS);
        } else if (line.startsWith(`${this.token} `)) {
          stderrDone = true;
          finish();
        } else if (line !== '') stderr.push(line);
      };
      this.control.write(`${argv.length}\n${argv.join('\n')}\n`);
    });
  }

  /** The median round trip of a builtin that starts nothing, after a few unmeasured ones. */
  async overhead(samples: number, warmup: number, timeoutMs: number): Promise<LauncherOverhead> {
    const ready: number[] = [];
    const exit: number[] = [];
    for (let i = 0; i < warmup + samples; i++) {
      const timing = await this.time(['printf', '%s\\n', OVERHEAD_MARKER], OVERHEAD_MARKER, timeoutMs);
      if (i < warmup) continue;
      ready.push(timing.readyMs);
      exit.push(timing.exitMs);
    }
    return { readyMs: median(ready), exitMs: median(exit) };
  }

  /** Stops the launcher and whatever it is running. */
  close(): void {
    if (this.dead) return;
    this.dead = true;
    this.control.end();
    this.handle.release();
  }
}

/** A timing with the launcher's own round trip taken out; never below zero. */
export function withoutOverhead(timing: LaunchTiming, overhead: LauncherOverhead): LaunchTiming {
  return {
    ...timing,
    readyMs: Math.max(0, timing.readyMs - overhead.readyMs),
    exitMs: Math.max(0, timing.exitMs - overhead.exitMs),
  };
}
