import { join } from 'node:path';
import type { Command } from 'commander';
import { parseCount, parseList, resolveScenarioPath, useColor, write, type CliContext } from '../cli-context.js';
import { EXIT } from '../errors.js';
import { renderCsv } from '../report/csv.js';
import { renderJson } from '../report/json.js';
import { renderTerminal } from '../report/terminal.js';
import { writeAtomically } from '../report/write.js';
import { runScenario } from '../runner.js';
import { loadScenario } from '../scenario/load.js';
import { parseShard, shardFileBase, startShard, type ShardSpec } from '../shard.js';

export interface RunFlags {
  out: string;
  seed?: number;
  repetitions?: number;
  engines?: string[];
  quiet?: boolean;
  color?: boolean;
  shard?: ShardSpec;
}

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('run a scenario and write <out>/<name>.csv and .json (default: scenarios/seed-comparison.yaml)')
    .argument('[scenario]', 'scenario YAML file')
    .option('-o, --out <dir>', 'output folder', 'reports')
    .option('--seed <n>', 'override the scenario seed', parseCount('--seed'))
    .option('-r, --repetitions <n>', 'override the repetitions per cell', parseCount('--repetitions', 1))
    .option('-e, --engines <ids>', 'comma-separated engine ids to run instead of the scenario list', parseList)
    .option('--shard <i/n>', 'run only shard i of n of the cells (write <name>.shard-i-of-n.*; combine with `virtbench merge`)', parseShard)
    .option('-q, --quiet', 'print only where the reports went')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour')
    .action(async (scenarioArg: string | undefined, flags: RunFlags) => {
      const file = resolveScenarioPath(scenarioArg, context);
      const scenario = await loadScenario(file, { seed: flags.seed, repetitions: flags.repetitions, engines: flags.engines });
      const shard = flags.shard ? startShard(scenario, flags.shard) : undefined;
      const ran = await runScenario(scenario, shard ? shard.options() : {});
      const result = shard ? shard.finish(ran) : ran;
      const base = join(flags.out, shard ? shardFileBase(scenario.name, shard.spec) : scenario.name);
      await writeAtomically([
        { path: `${base}.csv`, content: renderCsv(result) },
        { path: `${base}.json`, content: renderJson(result) },
      ]);
      if (!flags.quiet) write(context.stdout, renderTerminal(result, { color: useColor(context, flags.color) }));
      write(context.stdout, `wrote ${base}.csv and ${base}.json`);
      const failed = result.claims.filter((c) => c.holds === false);
      if (failed.length > 0) {
        write(context.stderr, `${failed.length} claim(s) failed: ${failed.map((c) => c.id).join(', ')}`);
        setExit(EXIT.failed);
      }
    });
}
