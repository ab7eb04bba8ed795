import type { Command } from 'commander';
import { writeAtomically } from '../../../engines/shared/atomic-write.js';
import { scenarioJsonSchema } from '../../scenario/schema.js';
import { type CliContext, write } from '../context.js';

export function renderScenarioJsonSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files, for editors (or write it with --out)')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(async (flags: { out?: string }) => {
      const text = renderScenarioJsonSchema();
      if (flags.out) {
        await writeAtomically([{ path: flags.out, content: text }]);
        write(context.stdout, `wrote ${flags.out}`);
      } else {
        context.stdout.write(text);
      }
    });
}
