import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { packageRoot } from '../../engines/shared/environment.js';
import { excerpt, usageError } from '../../engines/shared/errors.js';
import { type TerminalOptions, terminalWidth } from '../report/terminal.js';
import { DEFAULT_POOL_WORTH_MS, defaultWorkers } from '../run/pool/pool.js';
import { MOST_REPETITIONS } from '../scenario/schema.js';
import { ALLOW_OUTSIDE_FLAG } from '../scenario/trust.js';

/** More threads than any machine this runs on has cores; each one costs memory before it runs a cell. */
export const MOST_WORKERS = 256;

/** What a command may touch of the outside world; tests pass their own. */
export interface CliContext {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export function defaultContext(): CliContext {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR. */
export function useColor(context: CliContext, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (context.env.NO_COLOR !== undefined && context.env.NO_COLOR !== '') return false;
  if (context.env.FORCE_COLOR !== undefined && context.env.FORCE_COLOR !== '0') return true;
  return flag === true || context.stdout.isTTY === true;
}

/** How the terminal report is drawn on this context's stdout: its colour and its width. */
export function terminalOptions(context: CliContext, colorFlag: boolean | undefined): TerminalOptions {
  return { color: useColor(context, colorFlag), width: terminalWidth(context.stdout, context.env) };
}

export const DEFAULT_SCENARIO = 'scenarios/seed-comparison.yaml';

/** A scenario path as given, else relative to the package, so `npx virtbench run` works from anywhere. */
export function resolveScenarioPath(given: string | undefined, context: CliContext): string {
  if (given !== undefined) return isAbsolute(given) ? given : relativeToCwd(given, context);
  if (existsSync(resolve(context.cwd, DEFAULT_SCENARIO))) return relativeToCwd(DEFAULT_SCENARIO, context);
  const bundled = resolve(packageRoot(), DEFAULT_SCENARIO);
  if (existsSync(bundled)) return bundled;
  throw usageError(
    `default scenario ${DEFAULT_SCENARIO} not found`,
    'pass a scenario file: virtbench run path/to/scenario.yaml',
  );
}

/** Paths stay as the user wrote them in messages and results; they are read relative to the context's cwd. */
function relativeToCwd(path: string, context: CliContext): string {
  return context.cwd === process.cwd() ? path : resolve(context.cwd, path);
}

/**
 * The largest value each count flag takes: every count is bounded, so a typo such as
 * `--workers 99999999999` is refused before it allocates anything.
 */
const MOST: Readonly<Record<string, number>> = {
  '--workers': MOST_WORKERS,
  '--repetitions': MOST_REPETITIONS,
  '--pool-threshold': 24 * 60 * 60 * 1000,
  '--resamples': 10_000_000,
};

/** Parses a whole-number flag between `min` and the flag's bound (else the largest safe integer). */
export function parseCount(name: string, min = 0) {
  const max = MOST[name] ?? Number.MAX_SAFE_INTEGER;
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(
        `${name} must be a whole number of at least ${min} and at most ${max.toLocaleString('en-US')}, not ${excerpt(JSON.stringify(value))}`,
      );
    return Number(value);
  };
}

/** Whether the scenario may name module and profile files outside its folder. */
export interface TrustFlags {
  allowOutsideModules?: boolean;
}

/** `--allow-outside-modules`, for every command that loads a scenario. */
export function addTrustOption(command: Command): Command {
  return command.option(
    ALLOW_OUTSIDE_FLAG,
    "let the scenario's module: and profile: entries name files outside its folder (a module runs with your permissions)",
  );
}

/** How a command that runs a scenario spreads its cells over threads. */
export interface WorkerFlags {
  workers?: number;
  poolThreshold?: number;
}

/**
 * `--workers` and `--pool-threshold`, for every command that runs a scenario: they all run it
 * through the same pipeline.
 */
export function addWorkersOption(command: Command): Command {
  return command
    .option(
      '-w, --workers <n>',
      `threads that run model cells (default: the number of cores, ${defaultWorkers()} here)`,
      parseCount('--workers', 1),
    )
    .option(
      '--pool-threshold <ms>',
      `start worker threads only when the cells look like taking this long on one (default ${DEFAULT_POOL_WORTH_MS}; 0: always)`,
      parseCount('--pool-threshold'),
    );
}

/** The run options that `--workers` and `--pool-threshold` set. */
export function workerOptions(flags: WorkerFlags): { workers?: number; poolWorthMs?: number } {
  return {
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
    ...(flags.poolThreshold !== undefined ? { poolWorthMs: flags.poolThreshold } : {}),
  };
}

export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
