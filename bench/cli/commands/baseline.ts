import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { writeAtomically } from '../../../engines/shared/atomic-write.js';
import { InputError, usageError } from '../../../engines/shared/errors.js';
import { formatChange, relativeChange } from '../../gate/change.js';
import { renderJson } from '../../report/json.js';
import type { RunResult } from '../../report/results.js';
import { readResultFile } from '../../report/results-file.js';
import { type CliContext, resolveScenarioPath, write } from '../context.js';
import {
  addScenarioRunOptions,
  loadScenarioWithFlags,
  runScenarioWithFlags,
  type ScenarioRunFlags,
} from '../scenario-run.js';
import { inputPath, readResult, refuseShard } from './gate.js';

export const BASELINE_DIR = 'reports/baselines';

interface UpdateFlags extends ScenarioRunFlags {
  from?: string;
  dir: string;
}

/** What moved between the old baseline and the new one, largest first, for the update message. */
function changes(previous: RunResult, next: RunResult): string[] {
  const key = (r: RunResult['rows'][number]) => `${r.engine}\u0000${r.metric}\u0000${JSON.stringify(r.params)}`;
  const old = new Map(previous.rows.map((r) => [key(r), r]));
  const moved = next.rows
    .map((row) => ({ row, before: old.get(key(row)) }))
    .filter(({ row, before }) => !before || JSON.stringify(before.samples) !== JSON.stringify(row.samples))
    .map(({ row, before }) => ({ row, change: before ? relativeChange(row.metric, before.mean, row.mean) : Infinity }));
  const added = moved.filter((m) => !Number.isFinite(m.change)).length;
  const removed = previous.rows.filter((r) => !next.rows.some((n) => key(n) === key(r))).length;
  const lines = [`${moved.length - added} of ${next.rows.length} rows changed, ${added} added, ${removed} removed`];
  const largest = moved
    .filter((m) => Number.isFinite(m.change))
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change))
    .slice(0, 8);
  for (const { row, change } of largest)
    lines.push(
      `  ${row.engine} ${row.metric}${Object.keys(row.params).length ? ` ${JSON.stringify(row.params)}` : ''}: mean ${formatChange(change)}`,
    );
  return lines;
}

/**
 * Whether a new result says nothing the old baseline does not: the same scenario (by digest), rows
 * and claims. Its start time, commit and host may differ; rewriting the file for those alone
 * would make every update a diff to review.
 */
function sameResults(previous: RunResult, next: RunResult): boolean {
  return (
    previous.scenario.digest !== undefined &&
    previous.scenario.digest === next.scenario.digest &&
    JSON.stringify(previous.rows) === JSON.stringify(next.rows) &&
    JSON.stringify(previous.claims) === JSON.stringify(next.claims)
  );
}

/**
 * `<dir>/<name>.json`, where the name comes from a results file or scenario: a name that is not a
 * plain file name (a separator, `..`) never becomes a path outside the baseline folder.
 */
export function baselineFile(dir: string, name: string, source: string): string {
  const target = join(dir, `${name}.json`);
  const inside = relative(resolve(dir), resolve(target));
  if (/[/\\\0]/.test(name) || name === '.' || name === '..' || inside.startsWith(`..${sep}`) || inside === '..')
    throw new InputError({
      location: { file: source },
      path: 'scenario.name',
      message: `the scenario name ${JSON.stringify(name.slice(0, 80))} is not a plain file name, so it cannot name a baseline in ${dir}`,
      expected: 'a name without path separators or ..',
      hint: 'rename the scenario (its `name:`) and run it again',
    });
  return target;
}

export function register(program: Command, context: CliContext): void {
  const baseline = program
    .command('baseline')
    .description('manage the committed baselines that `virtbench gate` compares with');
  const update = baseline
    .command('update')
    .description(
      `run a scenario (default: scenarios/seed-comparison.yaml) and write it as ${BASELINE_DIR}/<name>.json; commit the file with the change that moved it`,
    )
    .argument('[scenario]', 'scenario YAML file')
    .option('--from <result>', 'promote this JSON result (a run or merged shards) instead of running the scenario')
    .option('--dir <dir>', 'baseline folder', BASELINE_DIR);
  addScenarioRunOptions(update).action(async (scenarioArg: string | undefined, flags: UpdateFlags) => {
    let result: RunResult;
    if (flags.from) {
      if (scenarioArg) throw usageError('give either a scenario to run or --from, not both');
      const loaded = await readResult(flags.from, context);
      refuseShard(loaded.raw, flags.from);
      result = loaded.result;
    } else {
      const file = resolveScenarioPath(scenarioArg, context);
      const scenario = await loadScenarioWithFlags(file, flags);
      result = (await runScenarioWithFlags(scenario, flags)).result;
    }
    const target = baselineFile(flags.dir, result.scenario.name, flags.from ?? result.scenario.file);
    const path = inputPath(target, context);
    let summary = ['new baseline'];
    let unchanged = false;
    if (existsSync(path)) {
      try {
        const previous = (await readResultFile(path)).result;
        unchanged = sameResults(previous, result);
        summary = changes(previous, result);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        summary = ['the previous file was not a readable result; replaced'];
      }
    }
    if (unchanged) {
      write(context.stdout, `${target} is unchanged: the same scenario, rows and claims; not rewritten`);
    } else {
      await writeAtomically([{ path, content: renderJson(result) }]);
      write(context.stdout, `wrote ${target}: ${summary.join('\n')}`);
    }
    const failed = result.claims.filter((c) => c.holds === false);
    if (failed.length > 0)
      write(context.stderr, `warning: the baseline's claims do not all hold: ${failed.map((c) => c.id).join(', ')}`);
  });
}
