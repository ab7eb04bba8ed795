import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../../engines/shared/errors.js';
import { renderHtml } from '../../report/html.js';
import { renderMarkdown } from '../../report/markdown.js';
import { renderTerminal } from '../../report/terminal.js';
import { runScenario } from '../../run/run.js';
import { parseShard, type ShardSpec, shardFileBase, startShard } from '../../run/shard.js';
import { loadScenario } from '../../scenario/load.js';
import {
  addWorkersOption,
  type CliContext,
  parseCount,
  parseList,
  resolveScenarioPath,
  terminalOptions,
  type WorkerFlags,
  workerOptions,
  write,
} from '../context.js';
import { createProgress } from '../progress.js';
import { writeReports } from './gate.js';

export interface RunFlags extends WorkerFlags {
  out: string;
  seed?: number;
  repetitions?: number;
  engines?: string[];
  quiet?: boolean;
  color?: boolean;
  shard?: ShardSpec;
  markdown?: string;
  html?: string;
}

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const command = program
    .command('run')
    .description('run a scenario and write <out>/<name>.csv and .json (default: scenarios/seed-comparison.yaml)')
    .argument('[scenario]', 'scenario YAML file')
    .option('-o, --out <dir>', 'output folder', 'reports')
    .option('--seed <n>', 'override the scenario seed', parseCount('--seed'))
    .option('-r, --repetitions <n>', 'override the repetitions per cell', parseCount('--repetitions', 1))
    .option('-e, --engines <ids>', 'comma-separated engine ids to run instead of the scenario list', parseList)
    .option(
      '--shard <i/n>',
      'run only shard i of n of the cells (write <name>.shard-i-of-n.*; combine with `virtbench merge`)',
      parseShard,
    )
    .option('--markdown <file>', 'also write the Markdown report here')
    .option('--html <file>', 'also write the self-contained HTML report here')
    .option('-q, --quiet', 'print only where the reports went')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour');
  addWorkersOption(command).action(async (scenarioArg: string | undefined, flags: RunFlags) => {
    const file = resolveScenarioPath(scenarioArg, context);
    const overrides = { seed: flags.seed, repetitions: flags.repetitions, engines: flags.engines };
    const scenario = await loadScenario(file, overrides);
    const shard = flags.shard ? startShard(scenario, flags.shard) : undefined;
    const base = join(flags.out, shard ? shardFileBase(scenario.name, shard.spec) : scenario.name);
    // Rows stream to disk as cells finish, in canonical order, whichever worker ran them.
    const progress = createProgress(context, { quiet: flags.quiet });
    const run = await runScenario(scenario, {
      ...(shard ? shard.options() : {}),
      ...(shard ? { finish: (ran) => shard.finish(ran) } : {}),
      base,
      ...workerOptions(flags),
      onProgress: (done, total) => progress.update(done, total),
    }).finally(() => progress.stop());
    const result = run.result;
    if (!flags.quiet) write(context.stdout, renderTerminal(result, terminalOptions(context, flags.color)));
    write(context.stdout, `wrote ${base}.csv and ${base}.json`);
    if (flags.markdown || flags.html) {
      const written = await writeReports(context, flags, {
        markdown: () => renderMarkdown({ result, mode: 'result' }),
        html: () => renderHtml({ result, mode: 'result' }),
      });
      write(context.stdout, `wrote ${written.join(', ')}`);
    }
    const failed = result.claims.filter((c) => c.holds === false);
    if (failed.length > 0) {
      write(context.stderr, `${failed.length} claim(s) failed: ${failed.map((c) => c.id).join(', ')}`);
      setExit(EXIT.failed);
    }
  });
}
