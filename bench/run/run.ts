import { loadWarnings, sampleHostLoad } from '../../engines/real/host/load.js';
import {
  currentEnvironment,
  currentProvenance,
  type Environment,
  type HostLoad,
  type Provenance,
} from '../../engines/shared/environment.js';
import type { RunResult } from '../report/results.js';
import type { Scenario } from '../scenario/load.js';
import { type BatchOutput, retentionFor } from './batch.js';
import type { CellOutcome } from './cell.js';
import { type Executor, inProcessExecutor } from './executor.js';
import { type CellPlan, planCells } from './plan.js';
import { defaultWorkers, type PoolOptions, poolExecutor } from './pool/pool.js';
import { toPortable } from './pool/portable.js';
import { type ReportFiles, ReportWriter, reportFiles } from './writer.js';

export interface RunOptions extends Partial<Omit<PoolOptions, 'workers'>> {
  /** Which cells to run; all of them by default. Sharding passes a subset. */
  readonly cells?: readonly CellPlan[];
  /** Threads that run model cells; 1 runs everything on this thread. Default: the number of cores. */
  readonly workers?: number;
  /** Stream the CSV and JSON reports to `<base>.csv` and `<base>.json` as cells finish. */
  readonly base?: string;
  readonly environment?: Environment;
  /** The commit and start time to record; default: this checkout's commit, now. */
  readonly provenance?: Provenance;
  readonly onProgress?: (done: number, total: number) => void;
  /** Called for each cell in canonical order once it is written; `rows` holds the rows the result keeps. */
  readonly onCellDone?: (outcome: CellOutcome, done: number, total: number) => void;
  /** Last changes to the result before its JSON is completed, such as a shard's record. */
  readonly finish?: (result: RunResult) => RunResult;
  /** Told, before anything runs, what makes this run's real measurements less trustworthy (a loaded host). */
  readonly onWarning?: (warning: string) => void;
  /** How the host's load is sampled before real cells run; tests replace it. */
  readonly sampleLoad?: () => Promise<HostLoad | undefined>;
}

export interface RunOutcome {
  /**
   * The run's result. Its rows are every row, unless the run wrote files for a grid larger than
   * RETAIN_ALL_CELLS: then they are the retained subset (see batch.ts) and the files hold every row.
   */
  readonly result: RunResult;
  /** The report files, when the run wrote them. */
  readonly files?: ReportFiles;
  readonly rowsWritten: number;
  /** True when `result.rows` holds only the retained subset; the files hold every row. */
  readonly partialRows: boolean;
  /** Threads that ran model cells: 1 when everything ran on this thread, 0 when there were none. */
  readonly threadsUsed: number;
}

/**
 * The one way a scenario runs, for every command and the API: its cells (all, or a shard's) go
 * through an executor — this thread, or this thread plus a worker pool — and their batches through
 * the one writer, which puts them in canonical order, streams them to the report files when there
 * are any, and keeps the rows the result holds. Model cells run first; real-driver cells run
 * after them on this thread, one at a time, so measurements never share the host with simulation.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const cells = [...(options.cells ?? planCells(scenario))].sort((a, b) => a.index - b.index);
  const files = options.base === undefined ? undefined : reportFiles(options.base);
  // A run whose result is all it produces keeps every row; one that streams to files may keep less.
  const retention = files ? retentionFor(scenario, cells.length) : ({ keep: 'every-row' } as const);
  const output: BatchOutput = { retention, text: files !== undefined };
  const isReal = (plan: CellPlan): boolean => scenario.engines[plan.engineIndex]!.engine.driver === 'real';
  const environment = options.environment ?? currentEnvironment();
  // Real measurements are only as quiet as the host: sample its load before this run adds to it.
  const load = cells.some(isReal) ? await (options.sampleLoad ?? sampleHostLoad)() : undefined;
  if (load) for (const warning of loadWarnings(load)) options.onWarning?.(warning);
  const origin = {
    environment: load ? { ...environment, load } : environment,
    provenance: options.provenance ?? currentProvenance(),
  };
  const writer = await ReportWriter.open(scenario, cells, files, origin, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onCellDone ? { onCellDone: options.onCellDone } : {}),
    ...(options.finish ? { finish: options.finish } : {}),
  });
  try {
    const modelCells = cells.filter((plan) => !isReal(plan));
    const realCells = cells.filter(isReal);
    const threadsUsed = await modelExecutor(scenario, cells, output, options).run(modelCells, writer);
    await inProcessExecutor(scenario, output, cells, { chunk: 1 }).run(realCells, writer);
    const result = await writer.finish();
    return {
      result,
      ...(files ? { files } : {}),
      rowsWritten: writer.rowsWritten,
      partialRows: retention.keep !== 'every-row',
      threadsUsed,
    };
  } catch (error) {
    await writer.discard();
    throw error;
  }
}

/** This thread alone for one worker, or when an engine cannot be sent to a worker; the pool otherwise. */
function modelExecutor(
  scenario: Scenario,
  order: readonly CellPlan[],
  output: BatchOutput,
  options: RunOptions,
): Executor {
  const workers = Math.max(1, Math.floor(options.workers ?? defaultWorkers()));
  const portable = workers > 1 ? toPortable(scenario) : undefined;
  if (!portable) {
    return inProcessExecutor(
      scenario,
      output,
      order,
      options.onBatchTimed ? { onBatchTimed: options.onBatchTimed } : {},
    );
  }
  return poolExecutor(scenario, portable, order, output, { ...options, workers });
}
