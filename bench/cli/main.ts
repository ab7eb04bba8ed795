import { Command, CommanderError } from 'commander';
import { installSignalCleanup } from '../../engines/real/cleanup.js';
import { virtbenchVersion } from '../../engines/shared/environment.js';
import { EXIT, formatProblem, InputError } from '../../engines/shared/errors.js';
import { register as registerBaseline } from './commands/baseline.js';
import { register as registerCalibrate } from './commands/calibrate.js';
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
};

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
  for (const registerCommand of Object.values(COMMANDS)) registerCommand(program, context, setExit);

  try {
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
