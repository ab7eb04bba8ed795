import { Command, CommanderError } from 'commander';
import { installSignalCleanup } from '../../engines/real/host/cleanup.js';
import { virtbenchVersion } from '../../engines/shared/environment.js';
import {
  asOutputError,
  EXIT,
  errnoCode,
  formatProblem,
  InputError,
  isWriteFailure,
  OutputError,
} from '../../engines/shared/errors.js';
import { unwrittenOnStop } from '../../engines/shared/staged-file.js';
import { InterruptedError, STOP_EXIT_CODES, type StopSignal, stopRequested } from '../../engines/shared/stop.js';
import { register as registerBaseline } from './commands/baseline.js';
import { register as registerCalibrate } from './commands/calibrate.js';
import { register as registerClean } from './commands/clean.js';
import { register as registerCompare } from './commands/compare.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerGate } from './commands/gate.js';
import { register as registerList } from './commands/list.js';
import { register as registerMerge } from './commands/merge.js';
import { register as registerRun } from './commands/run.js';
import { register as registerSchema } from './commands/schema.js';
import { register as registerValidate } from './commands/validate.js';
import { type CliContext, defaultContext, write } from './context.js';

type Registrar = (program: Command, context: CliContext, setExit: (code: number) => void) => void;

/** Problems printed for one bad input at most; the rest are counted. */
const MOST_PROBLEMS_SHOWN = 20;

/** Every subcommand, by name. A new command is one module and one line here. */
export const COMMANDS: Readonly<Record<string, Registrar>> = {
  run: registerRun,
  validate: registerValidate,
  list: registerList,
  schema: registerSchema,
  gate: registerGate,
  compare: registerCompare,
  merge: registerMerge,
  baseline: registerBaseline,
  calibrate: registerCalibrate,
  doctor: registerDoctor,
  clean: registerClean,
};

const guarded = new WeakSet<object>();

/**
 * A reader that stops early (`virtbench list engines | head`) closes the pipe. The rest of the
 * output is dropped, quietly, and the command finishes with its own exit code: a closed pipe
 * is neither a failed check nor an internal error.
 */
function dropOutputWhenReaderLeaves(stream: NodeJS.WritableStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', (error: unknown) => {
    if (errnoCode(error) !== 'EPIPE') throw error;
  });
}

/** The one line a stop prints: what was stopped, what was not written, what was torn down. */
function describeStop(argv: readonly string[], signal: StopSignal, failures: readonly string[]): string {
  const command = ['virtbench', ...argv.slice(0, 2)].join(' ');
  const unwritten = unwrittenOnStop();
  const kept =
    unwritten.length > 0
      ? `unfinished ${unwritten.join(', ')} not written (earlier versions kept)`
      : 'no file half-written';
  const torn = failures.length > 0 ? `cleanup failed for ${failures.join('; ')}` : 'everything it started is torn down';
  return `virtbench: ${signal} stopped \`${command}\`: ${kept}; ${torn}`;
}

/**
 * Runs the CLI and returns its exit code: 0 success, 1 a claim or gate failed, 2 bad input,
 * 3 an output could not be written; a stop by SIGINT or SIGTERM exits 130 or 143.
 */
export async function main(argv: readonly string[], context: CliContext = defaultContext()): Promise<number> {
  // Ctrl-C and SIGTERM alike tear down every process, container, temp dir and temporary report
  // file a run started, then print one line and exit 130 or 143.
  installSignalCleanup((signal, failures) => write(context.stderr, describeStop(argv, signal, failures)));
  let exitCode: number = EXIT.ok;
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  dropOutputWhenReaderLeaves(context.stdout);
  dropOutputWhenReaderLeaves(context.stderr);
  const program = new Command('virtbench')
    .description('Benchmark virtual machines and containers side by side, modeled and measured.')
    .version(virtbenchVersion(), '-v, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run virtbench --help for usage)')
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });
  for (const registerCommand of Object.values(COMMANDS)) registerCommand(program, context, setExit);

  // No command at all is a usage error: the usage goes to stderr, and the exit code says so.
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.badInput;
  }
  // -V, the version flag of earlier releases, keeps working beside -v.
  const args = argv.length === 1 && argv[0] === '-V' ? ['--version'] : [...argv];
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT.ok;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT.ok;
      return EXIT.badInput;
    }
    if (error instanceof InputError) {
      // One mistake can break every element of a long list; the first few say what is wrong.
      const shown = error.problems.slice(0, MOST_PROBLEMS_SHOWN);
      for (const problem of shown) write(context.stderr, `error: ${formatProblem(problem)}`);
      const more = error.problems.length - shown.length;
      if (more > 0) write(context.stderr, `error: … and ${more} more problem${more === 1 ? '' : 's'} like these`);
      return EXIT.badInput;
    }
    // A stop is reported, once, by the signal handler, after teardown; it then exits.
    const stop = stopRequested();
    if (stop || error instanceof InterruptedError) return STOP_EXIT_CODES[stop ?? 'SIGINT'];
    if (error instanceof OutputError || isWriteFailure(error)) {
      const path = (error as NodeJS.ErrnoException).path ?? 'an output file';
      write(context.stderr, `virtbench: ${(asOutputError(path, error) as Error).message}`);
      return EXIT.writeFailed;
    }
    // An unexpected failure is a bug in virtbench, not in the input: say so briefly, no stack trace
    // unless asked for.
    const message = error instanceof Error ? error.message : String(error);
    write(context.stderr, `virtbench: internal error: ${message}`);
    if (context.env.VIRTBENCH_DEBUG) write(context.stderr, error instanceof Error ? (error.stack ?? '') : '');
    return EXIT.failed;
  }
}
