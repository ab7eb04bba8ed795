import { type Command, InvalidArgumentError } from 'commander';
import { buildPlan, type GatesSource } from '../../gate/config.js';
import { renderGateTable } from '../../gate/table.js';
import { renderHtml } from '../../report/html.js';
import { renderMarkdown } from '../../report/markdown.js';
import { addTrustOption, type CliContext, useColor, write } from '../context.js';
import {
  addCheckOptions,
  type CheckFlags,
  checkEnvironments,
  evaluateChecks,
  gateFlags,
  gatesFromFile,
  readResult,
  refuseShard,
  writeReports,
} from './gate.js';

interface CompareFlags extends CheckFlags {
  confidence?: number;
}

function parseConfidence(value: string): number {
  const number = Number(value);
  if (!(number > 0 && number < 1)) throw new InvalidArgumentError('must be between 0 and 1, for example 0.95');
  return number;
}

export function register(program: Command, context: CliContext): void {
  const command = program
    .command('compare')
    .description(
      'compare two JSON results: change with a bootstrap interval and p-value per check; never fails on the numbers',
    )
    .argument('<a>', 'the earlier result (JSON)')
    .argument('<b>', 'the later result (JSON)')
    .option('--confidence <level>', 'confidence of the bootstrap interval (default 0.95)', parseConfidence);
  addCheckOptions(addTrustOption(command)).action(async (a: string, b: string, flags: CompareFlags) => {
    const before = await readResult(a, context);
    const after = await readResult(b, context);
    refuseShard(before.raw, a);
    refuseShard(after.raw, b);
    checkEnvironments(before.result, after.result, { baseline: a }, context, b, false);
    const gates: GatesSource | undefined = flags.gates ? await gatesFromFile(flags.gates, context, flags) : undefined;
    const plan = await buildPlan(gates, gateFlags(flags));
    const report = await evaluateChecks(context, flags, before.result, after.result, plan, {
      baselineLabel: a,
      currentLabel: b,
      interval: true,
      confidence: flags.confidence,
    });
    if (!flags.quiet)
      write(
        context.stdout,
        renderGateTable(report, { color: useColor(context, flags.color), interval: true, verdictHeading: 'as a gate' }),
      );
    const written = await writeReports(context, flags, {
      markdown: () => renderMarkdown({ result: after.result, baseline: before.result, gate: report, mode: 'compare' }),
      html: () => renderHtml({ result: after.result, baseline: before.result, gate: report, mode: 'compare' }),
    });
    if (written.length > 0) write(context.stdout, `wrote ${written.join(', ')}`);
  });
}
