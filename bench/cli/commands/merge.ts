import { join } from 'node:path';
import type { Command } from 'commander';
import { writeAtomically } from '../../../engines/shared/atomic-write.js';
import { EXIT, usageError } from '../../../engines/shared/errors.js';
import { renderCsv } from '../../report/csv.js';
import { renderHtml } from '../../report/html.js';
import { renderJson } from '../../report/json.js';
import { renderMarkdown } from '../../report/markdown.js';
import { renderTerminal } from '../../report/terminal.js';
import { engineSummaries } from '../../run/result.js';
import { checkShardSet, mergeShards } from '../../run/shard.js';
import { loadScenario } from '../../scenario/load.js';
import { addTrustOption, type CliContext, type TrustFlags, terminalOptions, write } from '../context.js';
import { inputPath, readResult, writeReports } from './gate.js';

interface MergeFlags extends TrustFlags {
  out: string;
  scenario?: string;
  force?: boolean;
  quiet?: boolean;
  markdown?: string;
  html?: string;
  color?: boolean;
}

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const command = program
    .command('merge')
    .description(
      'combine the shards of a run (virtbench run --shard i/n) into <out>/<name>.csv and .json, as one unsharded run writes them',
    )
    .argument('<shards...>', 'the .json result of every shard')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--scenario <file>', 'the scenario the shards ran (default: the file recorded in them)')
    .option('--force', 'merge real-driver shards measured on different hosts')
    .option('--markdown <file>', 'also write the Markdown report here')
    .option('--html <file>', 'also write the self-contained HTML report here')
    .option('-q, --quiet', 'print only where the reports went')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour');
  addTrustOption(command).action(async (files: string[], flags: MergeFlags) => {
    const loaded = await Promise.all(files.map((file) => readResult(file, context)));
    const shards = checkShardSet(loaded, { force: flags.force });
    const first = shards[0]!.loaded.result;
    const file = flags.scenario ?? first.scenario.file;
    const recordedIds = first.engines.map((e) => e.id);
    const trust = { allowOutsideModules: flags.allowOutsideModules };
    let scenario = await loadScenario(inputPath(file, context), {
      seed: first.seed,
      repetitions: first.repetitions,
      ...trust,
    });
    if (JSON.stringify(engineSummaries(scenario)) !== JSON.stringify(first.engines)) {
      // The shards ran a subset of the scenario's engines (run --engines): load that subset.
      scenario = await loadScenario(inputPath(file, context), {
        seed: first.seed,
        repetitions: first.repetitions,
        engines: recordedIds,
        ...trust,
      });
      if (JSON.stringify(engineSummaries(scenario)) !== JSON.stringify(first.engines)) {
        throw usageError(
          `the engines of ${file} are not those the shards ran (${recordedIds.join(', ')})`,
          'merge with the scenario file the shards were run from (--scenario)',
        );
      }
    }
    // Keep the scenario path as the shards recorded it, so the merged JSON names it as a local run would.
    const result = mergeShards({ ...scenario, file: first.scenario.file }, loaded, { force: flags.force });
    const base = join(flags.out, result.scenario.name);
    await writeAtomically([
      { path: inputPath(`${base}.csv`, context), content: renderCsv(result) },
      { path: inputPath(`${base}.json`, context), content: renderJson(result) },
    ]);
    if (!flags.quiet) write(context.stdout, renderTerminal(result, terminalOptions(context, flags.color)));
    const written = await writeReports(context, flags, {
      markdown: () => renderMarkdown({ result, mode: 'result' }),
      html: () => renderHtml({ result, mode: 'result' }),
    });
    write(
      context.stdout,
      `merged ${shards.length} shards: wrote ${[`${base}.csv`, `${base}.json`, ...written].join(', ')}`,
    );
    const failed = result.claims.filter((c) => c.holds === false);
    if (failed.length > 0) {
      write(context.stderr, `${failed.length} claim(s) failed: ${failed.map((c) => c.id).join(', ')}`);
      setExit(EXIT.failed);
    }
  });
}
