import type { Command } from 'commander';
import { EXIT, formatProblem, InputError } from '../../../engines/shared/errors.js';
import { loadScenario } from '../../scenario/load.js';
import { addTrustOption, type CliContext, type TrustFlags, write } from '../context.js';

interface ValidateFlags extends TrustFlags {
  loadModules?: boolean;
}

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const command = program
    .command('validate')
    .description('check scenario files against the schema and resolve every reference, writing nothing')
    .argument('<scenarios...>', 'scenario YAML files')
    .option(
      '--load-modules',
      "also import each module: engine and check its export (runs the module's code; without it, only its path is checked)",
    );
  addTrustOption(command).action(async (files: string[], flags: ValidateFlags) => {
    for (const file of files) {
      try {
        const scenario = await loadScenario(file, {
          allowOutsideModules: flags.allowOutsideModules,
          loadModules: flags.loadModules === true,
        });
        write(
          context.stdout,
          `ok ${file}: ${scenario.document.engines.length} engines on ${scenario.hardware.id}, ${scenario.claims.length} claims`,
        );
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        for (const problem of error.problems) write(context.stderr, `error: ${formatProblem(problem)}`);
        setExit(EXIT.badInput);
      }
    }
  });
}
