import type { Command } from 'commander';
import { EXIT, formatProblem, InputError } from '../../../engines/shared/errors.js';
import { loadScenario } from '../../scenario/load.js';
import { type CliContext, write } from '../context.js';

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check scenario files against the schema and resolve every reference, writing nothing')
    .argument('<scenarios...>', 'scenario YAML files')
    .action(async (files: string[]) => {
      for (const file of files) {
        try {
          const scenario = await loadScenario(file);
          write(
            context.stdout,
            `ok ${file}: ${scenario.engines.length} engines on ${scenario.hardware.id}, ${scenario.claims.length} claims`,
          );
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          for (const problem of error.problems) write(context.stderr, `error: ${formatProblem(problem)}`);
          setExit(EXIT.badInput);
        }
      }
    });
}
