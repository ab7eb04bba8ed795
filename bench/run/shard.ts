import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { currentProvenance, type Environment } from '../../engines/shared/environment.js';
import { InputError, type InputProblem } from '../../engines/shared/errors.js';
import { hasRealMeasurements, type RunResult, type SkippedCell } from '../report/results.js';
import type { LoadedResult } from '../report/results-file.js';
import type { Scenario } from '../scenario/load.js';
import type { CellOutcome } from './cell.js';
import { type CellPlan, planCells } from './plan.js';
import { assembleResult } from './result.js';
import type { RunOptions } from './run.js';

/**
 * Sharding: one scenario's cells split across machines, then merged into the result one machine
 * would have produced. Cells are dealt round-robin in the scenario's canonical order, so every
 * shard gets a mix of engines and sweep points and the split depends only on the scenario.
 */

export interface ShardSpec {
  /** 1-based, as CI matrices count. */
  readonly index: number;
  readonly count: number;
}

/** The most shards a run splits into: far more machines than a CI matrix has, and each shard a file to merge. */
export const MOST_SHARDS = 10_000;

/** Parses `i/n` for commander; a bad value is a usage error (exit 2). */
export function parseShard(text: string): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError('expected i/n, for example 1/4 (shard i of n, counting from 1)');
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count > MOST_SHARDS)
    throw new InvalidArgumentError(
      `a run splits into at most ${MOST_SHARDS.toLocaleString('en-US')} shards, not ${count}`,
    );
  if (count < 1 || index < 1 || index > count)
    throw new InvalidArgumentError(`shard ${index}/${count} does not exist: i must be between 1 and n`);
  return { index, count };
}

/** The cells shard i of n runs: every n-th cell of the canonical order, starting at the i-th. */
export function shardCells(plans: readonly CellPlan[], spec: ShardSpec): CellPlan[] {
  return plans.filter((plan) => plan.index % spec.count === spec.index - 1);
}

export function shardFileBase(name: string, spec: ShardSpec): string {
  return `${name}.shard-${spec.index}-of-${spec.count}`;
}

/** What a shard's JSON records beyond a RunResult: which cells it ran, and each cell's notes. */
export interface ShardRecord {
  readonly index: number;
  readonly count: number;
  readonly cells: readonly { readonly index: number; readonly notes: readonly string[] }[];
}

export type ShardResult = RunResult & { readonly shard: ShardRecord };

/** A shard run in progress: the run options that select its cells and record what each produced. */
export interface ShardRun {
  readonly spec: ShardSpec;
  readonly cells: readonly CellPlan[];
  /** Run options with this shard's cells, keeping any progress callback the caller set. */
  options(base?: RunOptions): RunOptions;
  /**
   * The shard's result: its rows and skips, the record merge needs, and no claims, because a
   * claim compares engines that other shards ran; `virtbench merge` evaluates them.
   */
  finish(result: RunResult): ShardResult;
}

export function startShard(scenario: Scenario, spec: ShardSpec): ShardRun {
  const cells = shardCells(planCells(scenario), spec);
  const notes = new Map<number, readonly string[]>();
  return {
    spec,
    cells,
    options(base = {}) {
      return {
        ...base,
        cells,
        onCellDone: (outcome, done, total) => {
          notes.set(outcome.plan.index, outcome.state === 'measured' ? outcome.notes : []);
          base.onCellDone?.(outcome, done, total);
        },
      };
    },
    finish(result) {
      return {
        ...result,
        claims: [],
        shard: {
          index: spec.index,
          count: spec.count,
          cells: cells.map((plan) => ({ index: plan.index, notes: notes.get(plan.index) ?? [] })),
        },
      };
    },
  };
}

const shardRecordSchema = z
  .object({
    index: z.number().int().positive(),
    count: z.number().int().positive().max(MOST_SHARDS),
    cells: z.array(z.object({ index: z.number().int().nonnegative(), notes: z.array(z.string()) })),
  })
  .refine((record) => record.index <= record.count);

function problem(file: string, path: string, message: string, hint?: string): InputProblem {
  return { location: { file }, path, message, hint };
}

/** Fields every shard of one run shares; a difference means the shards are of different runs. */
function runIdentity(result: RunResult): Record<string, string> {
  return {
    'scenario.name': result.scenario.name,
    'scenario.file': result.scenario.file,
    'scenario.digest': result.scenario.digest ?? '',
    seed: String(result.seed),
    repetitions: String(result.repetitions),
    hardware: JSON.stringify(result.hardware),
    sweepParameters: JSON.stringify(result.sweepParameters),
    engines: JSON.stringify(result.engines),
  };
}

/**
 * What makes two hosts the same machine for real measurements: everything the environment
 * records but its name (identical CI runners are named differently) and how loaded it was.
 */
function machineOf(environment: Environment): string {
  const { hostname: _hostname, load: _load, ...machine } = environment;
  return JSON.stringify(machine);
}

/** Checks that the loaded files are all the shards of one run, each once. Returns them by index. */
export function checkShardSet(
  loaded: readonly LoadedResult[],
  options: { force?: boolean } = {},
): { loaded: LoadedResult; record: ShardRecord }[] {
  const problems: InputProblem[] = [];
  const shards: { loaded: LoadedResult; record: ShardRecord }[] = [];
  for (const item of loaded) {
    const parsed = shardRecordSchema.safeParse(item.raw.shard);
    if (!parsed.success) {
      problems.push(
        problem(
          item.file,
          'shard',
          `not a shard result: it has no valid \`shard\` record (i of n, n at most ${MOST_SHARDS.toLocaleString('en-US')})`,
          'merge the .json files that `virtbench run --shard i/n` writes',
        ),
      );
      continue;
    }
    shards.push({ loaded: item, record: parsed.data });
  }
  if (problems.length > 0) throw new InputError(problems);
  const first = shards[0]!;
  const identity = runIdentity(first.loaded.result);
  for (const shard of shards.slice(1)) {
    const other = runIdentity(shard.loaded.result);
    for (const [field, value] of Object.entries(identity)) {
      if (other[field] !== value) {
        problems.push(
          problem(
            shard.loaded.file,
            field,
            `differs from ${first.loaded.file}: these are shards of different runs`,
            'run every shard from the same scenario, seed and repetitions',
          ),
        );
      }
    }
    if (shard.record.count !== first.record.count) {
      problems.push(
        problem(
          shard.loaded.file,
          'shard.count',
          `split into ${shard.record.count} shards, ${first.loaded.file} into ${first.record.count}`,
        ),
      );
    }
  }
  const count = first.record.count;
  const seen = new Map<number, string>();
  for (const shard of shards) {
    const earlier = seen.get(shard.record.index);
    if (earlier)
      problems.push(
        problem(
          shard.loaded.file,
          'shard.index',
          `shard ${shard.record.index}/${count} is given twice (also ${earlier})`,
        ),
      );
    seen.set(shard.record.index, shard.loaded.file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    problems.push(
      problem(
        'command line',
        '',
        `missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')}`,
        'pass the .json of every shard',
      ),
    );
  }
  if (problems.length === 0 && !options.force) {
    const real = shards.some((s) => hasRealMeasurements(s.loaded.result));
    const env = machineOf(first.loaded.result.environment);
    for (const shard of shards) {
      if (real && machineOf(shard.loaded.result.environment) !== env) {
        problems.push(
          problem(
            shard.loaded.file,
            'environment',
            `real measurements from a different host than ${first.loaded.file}`,
            'run real-driver shards on identical machines, or pass --force',
          ),
        );
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return shards.sort((a, b) => a.record.index - b.record.index);
}

const cellKey = (engine: string, params: unknown): string => `${engine}\u0000${JSON.stringify(params)}`;

/**
 * Combines shards into the result of one unsharded run: the outcomes go back to their cells and
 * the runner assembles them as it assembles a local run, claims included.
 */
export function mergeShards(
  scenario: Scenario,
  loaded: readonly LoadedResult[],
  options: { force?: boolean } = {},
): RunResult {
  const shards = checkShardSet(loaded, options);
  const plans = planCells(scenario);
  const byKey = new Map(
    plans.map((plan) => [cellKey(scenario.engines[plan.engineIndex]!.engine.id, plan.point), plan]),
  );
  const problems: InputProblem[] = [];
  /** Each cell's rows, or its skip, as the shard that ran it recorded them. */
  const outcomes = new Map<
    number,
    { plan: CellPlan; rows: RunResult['rows'][number][]; skipped?: SkippedCell; notes: readonly string[] }
  >();
  for (const { loaded: item, record } of shards) {
    for (const cell of record.cells) {
      const plan = plans[cell.index];
      if (!plan) {
        problems.push(
          problem(
            item.file,
            'shard.cells',
            `cell ${cell.index} is not in ${scenario.file}, which has ${plans.length} cells`,
            'the scenario changed since the shards ran: re-run them',
          ),
        );
        continue;
      }
      if (outcomes.has(cell.index))
        problems.push(problem(item.file, 'shard.cells', `cell ${cell.index} was run by two shards`));
      outcomes.set(cell.index, { plan, rows: [], notes: cell.notes });
    }
    const ownCell = (engine: string, params: unknown, what: string) => {
      const plan = byKey.get(cellKey(engine, params));
      const outcome = plan && outcomes.get(plan.index);
      if (!outcome || !record.cells.some((c) => c.index === plan.index)) {
        problems.push(
          problem(
            item.file,
            what,
            `${engine} at ${JSON.stringify(params)} is not one of this shard's cells in ${scenario.file}`,
            'the scenario changed since the shards ran: re-run them',
          ),
        );
        return undefined;
      }
      return outcome;
    };
    for (const row of item.result.rows) ownCell(row.engine, row.params, 'rows')?.rows.push(row);
    for (const skipped of item.result.skipped) {
      const outcome = ownCell(skipped.engine, skipped.params, 'skipped');
      if (outcome) outcome.skipped = skipped;
    }
  }
  const uncovered = plans.filter((plan) => !outcomes.has(plan.index));
  if (uncovered.length > 0 && problems.length === 0) {
    problems.push(
      problem(
        scenario.file,
        '',
        `${uncovered.length} of ${plans.length} cells were run by no shard`,
        'the shards were split from a different version of the scenario: re-run them',
      ),
    );
  }
  if (problems.length > 0) throw new InputError(problems);
  const first = shards[0]!.loaded.result;
  const environment: Environment = first.environment;
  const cellOutcomes = [...outcomes.values()].map(
    ({ plan, rows, skipped, notes }): CellOutcome =>
      skipped ? { state: 'skipped', plan, skipped } : { state: 'measured', plan, rows, notes },
  );
  return assembleResult(scenario, cellOutcomes, {
    environment,
    provenance: first.provenance ?? currentProvenance(),
  });
}
