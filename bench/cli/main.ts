import { Command, CommanderError } from 'commander';
import { installSignalCleanup } from '../../engines/real/cleanup.js';
import { virtbenchVersion } from '../../engines/shared/environment.js';
import { EXIT, formatProblem, InputError } from '../../engines/shared/errors.js';
import { type CliContext, defaultContext, write } from './context.js';

type Registrar = (program: Command, context: CliContext, setExit: (code: number) => void) => void;

/**
 * Every subcommand, by name, loaded on demand: a run loads only `run` and what it needs, not the
 * gate's, the calibrator's or the doctor's code. A new command is one module and one line here.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<Registrar>>> = {
  run: async () => (await import('./commands/run.js')).register,
  validate: async () => (await import('./commands/validate.js')).register,
  list: async () => (await import('./commands/list.js')).register,
  schema: async () => (await import('./commands/schema.js')).register,
  gate: async () => (await import('./commands/gate.js')).register,
  compare: async () => (await import('./commands/compare.js')).register,
  merge: async () => (await import('./commands/merge.js')).register,
  baseline: async () => (await import('./commands/baseline.js')).register,
  calibrate: async () => (await import('./commands/calibrate.js')).register,
  doctor: async () => (await import('./commands/doctor.js')).register,
};

/**
 * The commands `argv` needs: the one it names, or all of them for help, the version, a typo
 * (which commander answers with the nearest names) and anything else.
 */
function commandsFor(argv: readonly string[]): Promise<Registrar[]> {
  const named = argv.find((arg) => !arg.startsWith('-'));
  const names = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  return Promise.all(names.map((name) => COMMANDS[name]!()));
}

/** Runs the CLI and returns its exit code: 0 success, 1 a claim or gate failed, 2 bad input. */
export async function main(argv: readonly string[], context: CliContext = defaultContext()): Promise<number> {
  // Ctrl-C or SIGTERM during a real run tears down every process, container and temp dir it started.
  installSignalCleanup((signal, failures) =>
    write(
      context.stderr,
      `virtbench: ${signal}: stopped${failures.length > 0 ? `; cleanup failed for ${failures.join('; ')}` : ', everything it started is torn down'}`,
    ),
  );
  let exitCode: number = EXIT.ok;
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('virtbench')
    .description('Benchmark virtual machines and containers side by side, modeled and measured.')
    .version(virtbenchVersion())
    .exitOverride()
    .showHelpAfterError('(run virtbench --help for usage)')
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });
  try {
    for (const registerCommand of await commandsFor(argv)) registerCommand(program, context, setExit);
    await program.parseAsync([...argv], { from: 'user' });
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
      for (const problem of error.problems) write(context.stderr, `error: ${formatProblem(problem)}`);
      return EXIT.badInput;
    }
    // An unexpected failure is a bug in virtbench, not in the input: say so briefly, no stack trace
    // unless asked for.
    const message = error instanceof Error ? error.message : String(error);
    write(context.stderr, `virtbench: internal error: ${message}`);
    if (context.env.VIRTBENCH_DEBUG) write(context.stderr, error instanceof Error ? (error.stack ?? '') : '');
    return EXIT.failed;
  }
}
