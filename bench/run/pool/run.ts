import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import type { Piscina } from 'piscina';
import { currentEnvironment, type Environment, packageRoot } from '../../../engines/shared/environment.js';
import { commitStaged, discardStaged, StagedFile } from '../../../engines/shared/staged-file.js';
import { csvHeader } from '../../report/csv.js';
import { jsonAroundRows } from '../../report/json.js';
import type { ResultRow } from '../../report/metrics.js';
import type { RunResult, SkippedCell } from '../../report/results.js';
import type { Scenario, ScenarioOverrides } from '../../scenario/load.js';
import { assembleResult, type CellOutcome, type CellPlan, evaluateClaims, planCells } from '../runner.js';
import { type Retention, retentionFor, runBatch } from './batch.js';
import { CLAIM_MS, ClaimBoard, cellsForTime, MOST_CELLS_PER_CLAIM } from './claims.js';
import { type BatchTiming, type EncodedBatch, epochMs, type FinishedBatch, isEncoded } from './encode.js';
import { toPortable } from './portable.js';
import type { ClaimsDone, ClaimTask, WorkerSetup } from './worker.js';

/** How a worker thread rebuilds the scenario the main thread loaded. */
export interface ScenarioSource {
  readonly file: string;
  readonly overrides: ScenarioOverrides;
}

export interface FileRunOptions {
  readonly source: ScenarioSource;
  /** Reports go to `<base>.csv` and `<base>.json`. */
  readonly base: string;
  /** Threads that run model cells; 1 runs everything on the main thread. Default: the number of cores. */
  readonly workers?: number;
  /** Which cells to run; all of them by default. Sharding passes a subset. */
  readonly cells?: readonly CellPlan[];
  readonly onProgress?: (done: number, total: number) => void;
  /** Called for each cell in canonical order once it is on disk; `rows` holds the rows the result keeps. */
  readonly onCellDone?: (outcome: CellOutcome, done: number, total: number) => void;
  /** Last changes to the result before its JSON is completed, such as a shard's record. */
  readonly finish?: (result: RunResult) => RunResult;
  readonly environment?: Environment;
  /**
   * The pool starts once the cells left look like taking at least this long on one thread, so
   * small runs do not pay for starting threads. 0 always uses the pool when workers > 1.
   */
  readonly poolWorthMs?: number;
  /**
   * False leaves every model cell to `workers` pool threads, started at once, and keeps the main
   * thread to writing the reports. Tests use it to pin cells to workers; by default the main
   * thread runs cells too.
   */
  readonly mainThreadRunsCells?: boolean;
  /** Called on the main thread for every batch of model cells, whichever thread ran it (test/perf/trace-sweep.ts). */
  readonly onBatchTimed?: (timing: BatchTiming) => void;
}

export interface FileRunResult {
  /** The run's result. Its rows are every row for small grids and the retained subset for large ones (see bench/run/pool/batch.ts). */
  readonly result: RunResult;
  readonly files: { readonly csv: string; readonly json: string };
  readonly rowsWritten: number;
  /** True when `result.rows` holds only the retained subset; the files hold every row. */
  readonly partialRows: boolean;
  /** Threads that ran model cells: 1 when everything ran on the main thread, 0 when there were none. */
  readonly threadsUsed: number;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

/** Time spent measuring cells on the main thread before deciding whether a pool pays. */
const PROBE_MS = 40;
const DEFAULT_POOL_WORTH_MS = 400;
/**
 * Boot-storm instances the simulator gets through per millisecond at most. On the README's
 * machine a storm of 100,000 instances started at once takes 2 to 6 µs per instance, and a native
 * process's storm, the cheapest, 0.35 to 0.65 µs; 0.2 µs keeps the estimate below what a storm
 * costs on a machine a few times faster.
 */
const STORM_INSTANCES_PER_MS = 5000;

/**
 * How long `plans` take on one thread, as far as is known before any of them runs, leaving out
 * the costliest cell: one thread runs that one anyway, so a pool only pays for the rest. Only boot
 * storms are counted. The probe measures everything else, but one storm cell can take half a
 * second, and the probe would keep a second thread waiting for all of it. (A cell its engine turns
 * down, or an engine from a module, may simulate no storm, and so start a pool early.)
 */
export function shareableKnownMs(scenario: Scenario, plans: readonly CellPlan[]): number {
  const storm = scenario.storm;
  if (!storm) return 0;
  let instances = 0;
  let largest = 0;
  for (const plan of plans) {
    const swept = plan.point['storm.instances'];
    const cell = typeof swept === 'number' ? swept : storm.instances;
    instances += cell;
    largest = Math.max(largest, cell);
  }
  return (instances - largest) / STORM_INSTANCES_PER_MS;
}

/**
 * Whether to start the pool now: always when `worthMs` is 0; at once when the known cost says so;
 * otherwise once the main thread has timed its cells for PROBE_MS and the cells left look like
 * taking `worthMs` or more. Never when nothing is left to claim.
 */
export function poolPays(worthMs: number, knownMs: number, elapsedMs: number, claimed: number, size: number): boolean {
  if (claimed >= size) return false;
  if (worthMs === 0 || knownMs >= worthMs) return true;
  if (elapsedMs < PROBE_MS) return false;
  return claimed === 0 || (elapsedMs / claimed) * (size - claimed) >= worthMs;
}

/** Cells per batch on the main thread at most: small, so little is alive when the young generation is collected. */
const LOCAL_CHUNK = 8;
/**
 * The main thread's young generation on 64-bit Node: three 16 MiB semi-spaces. V8 sizes its
 * number-to-string cache from it, and reports turn every number into text, so a worker with a
 * smaller young generation formats numbers 1.5 times slower and falls behind the main thread.
 */
const WORKER_YOUNG_GENERATION_MB = 48;

/**
 * Runs a scenario and streams its CSV and JSON reports to disk in canonical cell order as cells
 * finish, whatever thread finished them. Model cells may run on a worker pool; cells of real
 * drivers always run here, one at a time, after the pool has stopped, so measurements never
 * share the host with simulation work.
 */
export async function runScenarioToFiles(scenario: Scenario, options: FileRunOptions): Promise<FileRunResult> {
  const cells = [...(options.cells ?? planCells(scenario))].sort((a, b) => a.index - b.index);
  const environment = options.environment ?? currentEnvironment();
  const retention = retentionFor(scenario, cells.length);
  const files = { csv: `${options.base}.csv`, json: `${options.base}.json` };
  const csvFile = await StagedFile.open(files.csv);
  const jsonFile = await StagedFile.open(files.json).catch(async (error: unknown) => {
    await discardStaged([csvFile]);
    throw error;
  });
  const writer = new ReportWriter(scenario, cells, csvFile, jsonFile, environment, options);
  try {
    await writer.start();
    const isReal = (plan: CellPlan): boolean => scenario.engines[plan.engineIndex]!.engine.driver === 'real';
    const modelCells = cells.filter((plan) => !isReal(plan));
    const realCells = cells.filter(isReal);
    const workers = Math.max(1, Math.floor(options.workers ?? defaultWorkers()));
    const worthMs = options.poolWorthMs ?? DEFAULT_POOL_WORTH_MS;
    let done = 0;
    const finished = async (batch: FinishedBatch): Promise<void> => {
      done += batch.cells.length;
      await writer.accept(batch);
      options.onProgress?.(done, cells.length);
    };

    const mainRuns = options.mainThreadRunsCells !== false || workers === 1;
    const threadsUsed = await runModelCells(
      scenario,
      options.source,
      modelCells,
      { workers, mainRuns, worthMs },
      retention,
      finished,
      writer,
      unbrokenRunEnds(cells, modelCells),
      options.onBatchTimed,
    );
    for (const plan of realCells) await finished(await runBatch(scenario, [plan], retention));

    const result = await writer.finish();
    await commitStaged([csvFile, jsonFile]);
    return { result, files, rowsWritten: writer.rowsWritten, partialRows: !retention.all, threadsUsed };
  } catch (error) {
    await discardStaged([csvFile, jsonFile]);
    throw error;
  }
}

interface Threads {
  readonly workers: number;
  /** Whether the main thread runs cells; when it does not, the pool has `workers` threads. */
  readonly mainRuns: boolean;
  readonly worthMs: number;
}

/**
 * Runs model cells on `workers` threads: the main thread and, once the cells left look worth it,
 * a pool of `workers - 1` more. Every thread claims its own cells from a board in shared memory
 * (claims.ts), so workers never wait for the main thread, which may be in the middle of a long
 * cell, to hand them work. The main thread claims smaller batches than the workers, because
 * between its batches it writes everyone's. `runEnds` holds, for each cell, where its unbroken
 * run of model cells ends (see unbrokenRunEnds). Returns how many threads computed cells.
 */
async function runModelCells(
  scenario: Scenario,
  source: ScenarioSource,
  plans: readonly CellPlan[],
  { workers, mainRuns, worthMs }: Threads,
  retention: Retention,
  finished: (batch: FinishedBatch) => Promise<void>,
  backlog: Backlog,
  runEnds: readonly number[],
  onBatchTimed: ((timing: BatchTiming) => void) | undefined,
): Promise<number> {
  const board = ClaimBoard.create(
    plans.map((plan) => plan.index),
    runEnds,
    workers,
  );
  let pool: Piscina | undefined;
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    board.stop();
    wakeMain();
  };
  // Resolves whatever the main thread is waiting for: a failure, or the end of the workers.
  let wakeMain: () => void = () => undefined;
  const woken = (): Promise<void> => new Promise((resolve) => (wakeMain = resolve));
  const workersFinished: Promise<void>[] = [];
  // Pool threads that ran at least one cell: in a short run the main thread may claim them all.
  let workersThatRan = 0;
  const arrivals = new Set<Promise<void>>();
  const started = performance.now();
  // The cost of a cell, from the cells this thread has run.
  let localCells = 0;
  let localMs = 0;
  const cellsFor = (ms: number, most: number): number => cellsForTime(ms, most, localCells, localMs);
  const knownMs = shareableKnownMs(scenario, plans);

  // A worker's batches arrive on its port; each one that arrives takes a written buffer back.
  const startWorker = (running: Piscina): void => {
    const channel = new MessageChannel();
    const port = channel.port1;
    const done = new Promise<void>((resolve) => {
      port.on('message', (message: EncodedBatch | ClaimsDone) => {
        if ('done' in message) {
          resolve();
          return;
        }
        onBatchTimed?.({ ...message.timing, cells: message.cells.map((cell) => cell.index) });
        const spare = backlog.spareBuffer();
        if (spare) port.postMessage(spare, [spare]);
        const arrival: Promise<void> = finished(message)
          .then(() => board.settle(backlog.settled()))
          .catch(fail)
          .finally(() => arrivals.delete(arrival));
        arrivals.add(arrival);
      });
    });
    const task: ClaimTask = { board: board.shared, retention, port: channel.port2 };
    const ran = running.run(task, { transferList: [channel.port2] }) as Promise<number>;
    workersFinished.push(
      Promise.all([ran, done])
        .then(([cells]) => {
          if (cells > 0) workersThatRan++;
        }, fail)
        .finally(() => {
          port.close();
          wakeMain();
        }),
    );
  };

  try {
    if (!mainRuns && board.size > 0) {
      pool = await startPool(workers, workerSetup(scenario, source), fail);
      for (let thread = 0; thread < workers; thread++) startWorker(pool);
    }
    while (mainRuns) {
      if (failure !== undefined) break;
      const elapsed = performance.now() - started;
      if (!pool && workers > 1) {
        if (poolPays(worthMs, knownMs, elapsed, board.claimed, board.size)) {
          // Piscina loads in a few event-loop turns; computing meanwhile would stretch each turn to
          // a batch of cells. The threads themselves start in the background while this one computes.
          pool = await startPool(workers - 1, workerSetup(scenario, source), fail);
          for (let thread = 1; thread < workers; thread++) startWorker(pool);
        }
      }
      // Batches that arrived while this thread computed or waited may have moved the report on.
      board.settle(backlog.settled());
      // Single cells while measuring, then small batches, so memory stays flat and writing keeps up.
      const claim = board.claim(elapsed >= PROBE_MS ? cellsFor(CLAIM_MS / 2, LOCAL_CHUNK) : 1);
      if (claim === 'done') break;
      if (claim === 'wait') {
        // Too much is claimed and unwritten: wait for the report to move on.
        const wake = woken();
        await Promise.race([backlog.progress(), wake]);
        continue;
      }
      const chosen = plans.slice(claim.start, claim.end);
      const startedAt = epochMs();
      const batch = await runBatch(scenario, chosen, retention);
      const endedAt = epochMs();
      localMs += endedAt - startedAt;
      onBatchTimed?.({ thread: 0, startedAt, endedAt, cells: chosen.map((plan) => plan.index) });
      localCells += chosen.length;
      board.setWorkerChunk(cellsFor(CLAIM_MS, MOST_CELLS_PER_CLAIM));
      await finished(batch);
      // Let batches that workers finished meanwhile reach the reports before claiming more.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Nothing left to claim: wait for the workers' last batches.
    await Promise.all(workersFinished);
    while (arrivals.size > 0) await Promise.all([...arrivals]);
    if (failure !== undefined) throw failure;
    return (localCells > 0 ? 1 : 0) + workersThatRan;
  } catch (error) {
    fail(error);
    throw error;
  } finally {
    board.stop();
    // After a failure nothing more is written, so threads are not waited for: a thread may be in
    // the middle of a long cell, or may never have started.
    if (failure !== undefined) await pool?.destroy();
    await Promise.allSettled(workersFinished);
    await Promise.allSettled([...arrivals]);
    if (failure === undefined) await pool?.destroy();
  }
}

function workerSetup(scenario: Scenario, source: ScenarioSource): WorkerSetup {
  const portable = toPortable(scenario);
  // Reloading from the file keeps this thread's hardware, so that `hardware: host` is not probed
  // again, differently, in every worker.
  return portable
    ? { scenario: portable }
    : { source: { file: source.file, overrides: { ...source.overrides, resolvedHardware: scenario.hardware } } };
}

/**
 * Piscina loads only when a run is big enough to want threads. A thread that cannot start fails
 * the run through `onError`: piscina replaces it, and would otherwise throw the replacement's
 * failure where nobody catches it.
 */
async function startPool(threads: number, setup: WorkerSetup, onError: (error: unknown) => void): Promise<Piscina> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: pathToFileURL(workerFile()).href,
    minThreads: threads,
    maxThreads: threads,
    workerData: setup,
    // The old generation is not capped: V8 ends the whole process, not just the worker, when
    // one allocation crosses such a cap.
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  pool.on('error', onError);
  return pool;
}

/**
 * The pool thread's entry point, worker.js: next to this module in the bundle (dist/bundle/, built
 * by scripts/bundle.mjs) and in tsc's dist/bench/run/pool/; when this module runs from source under
 * a test runner, the bundle's.
 */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(dirname(here), 'worker.js');
  if (here.endsWith('.js') && existsSync(sibling)) return sibling;
  const bundled = join(packageRoot(), 'dist', 'bundle', 'worker.js');
  if (existsSync(bundled)) return bundled;
  throw new Error('the worker pool needs the bundled worker: run `npm run build:bundle`');
}

/**
 * For each model cell, the position in `modelCells` where its unbroken run of model cells ends:
 * the next real-driver cell in canonical order, or the end.
 */
function unbrokenRunEnds(order: readonly CellPlan[], modelCells: readonly CellPlan[]): number[] {
  const position = new Map(order.map((plan, at) => [plan.index, at]));
  const ends = new Array<number>(modelCells.length);
  for (let i = modelCells.length - 1; i >= 0; i--) {
    const follows =
      i + 1 < modelCells.length && position.get(modelCells[i + 1]!.index) === position.get(modelCells[i]!.index)! + 1;
    ends[i] = follows ? ends[i + 1]! : i + 1;
  }
  return ends;
}

/** What the writer tells the scheduler, so that finished batches waiting for earlier cells stay few. */
interface Backlog {
  /**
   * Model cells done with: written, or finished and behind a real-driver cell, which runs only
   * once every model cell has.
   */
  settled(): number;
  /** Resolves the next time a batch is written. */
  progress(): Promise<void>;
  /** A buffer a worker's batch came in that is written and free to reuse, if any. */
  spareBuffer(): ArrayBuffer | undefined;
}

/** Written buffers kept for reuse; beyond these, the garbage collector takes them. */
const MOST_SPARE_BUFFERS = 8;

/**
 * Writes finished batches in canonical order, holding early finishers back until the cells before
 * them are in. It keeps the retained rows, skipped cells and notes for the in-memory result.
 */
class ReportWriter implements Backlog {
  /** Finished batches that wait for earlier cells, by the index of their first cell. */
  private readonly waiting = new Map<number, FinishedBatch>();
  private readonly spare: ArrayBuffer[] = [];
  private position = 0;
  /** The first real-driver cell: model batches after it wait for the end of the run, when real cells run. */
  private readonly realBarrier: number;
  private settledModelCells = 0;
  private progressWaiters: (() => void)[] = [];
  private readonly kept: ResultRow[] = [];
  private readonly skipped: SkippedCell[] = [];
  private readonly notes: string[] = [];
  rowsWritten = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly order: readonly CellPlan[],
    private readonly csv: StagedFile,
    private readonly json: StagedFile,
    private readonly environment: Environment,
    private readonly options: Pick<FileRunOptions, 'onCellDone' | 'finish'>,
  ) {
    this.realBarrier =
      order.find((plan) => scenario.engines[plan.engineIndex]!.engine.driver === 'real')?.index ?? Infinity;
  }

  settled(): number {
    return this.settledModelCells;
  }

  progress(): Promise<void> {
    return new Promise((resolve) => this.progressWaiters.push(resolve));
  }

  spareBuffer(): ArrayBuffer | undefined {
    return this.spare.pop();
  }

  async start(): Promise<void> {
    await this.csv.write(stringify([csvHeader(Object.keys(this.scenario.sweep))], { record_delimiter: '\n' }));
    const { head } = jsonAroundRows(assembleResult(this.scenario, [], this.environment));
    await this.json.write(head);
  }

  async accept(batch: FinishedBatch): Promise<void> {
    const first = batch.cells[0];
    if (!first) return;
    // A batch behind a real-driver cell waits for the real cells, which run once every model cell
    // has: it is settled now, and keeps only the bytes it uses, so its buffer goes back to the workers.
    const behindRealCell = first.index > this.realBarrier;
    if (behindRealCell) this.settledModelCells += batch.cells.length;
    this.waiting.set(first.index, behindRealCell && isEncoded(batch) ? this.compacted(batch) : batch);
    if (behindRealCell) this.signalProgress();
    for (;;) {
      const plan = this.order[this.position];
      const ready = plan === undefined ? undefined : this.waiting.get(plan.index);
      if (!ready) return;
      this.waiting.delete(plan!.index);
      if (plan!.index < this.realBarrier) this.settledModelCells += ready.cells.length;
      const separator = this.rowsWritten === 0 ? '\n' : ',\n';
      if (isEncoded(ready)) await this.writeEncoded(ready, separator);
      else {
        await this.csv.write(ready.csv);
        if (ready.rowCount > 0) {
          await this.json.write(separator);
          await this.json.write(ready.json);
        }
      }
      this.rowsWritten += ready.rowCount;
      for (const cell of ready.cells) {
        const cellPlan = this.order[this.position]!;
        if (cellPlan.index !== cell.index)
          throw new Error(`cell ${cell.index} arrived where cell ${cellPlan.index} belongs`);
        this.position++;
        for (const row of cell.rows) this.kept.push(row);
        if (cell.skipped) this.skipped.push(cell.skipped);
        for (const note of cell.notes) this.notes.push(note);
        const outcome: CellOutcome = {
          plan: cellPlan,
          rows: cell.rows,
          notes: cell.notes,
          ...(cell.skipped ? { skipped: cell.skipped } : {}),
        };
        this.options.onCellDone?.(outcome, this.position, this.order.length);
      }
      this.signalProgress();
    }
  }

  private signalProgress(): void {
    const waiters = this.progressWaiters;
    this.progressWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private compacted(batch: EncodedBatch): EncodedBatch {
    const buffer = batch.buffer.slice(0, batch.csvBytes + batch.jsonBytes);
    if (this.spare.length < MOST_SPARE_BUFFERS) this.spare.push(batch.buffer);
    return { ...batch, buffer };
  }

  /** Writes a worker's bytes; its buffer becomes spare once both files have them. */
  private async writeEncoded(batch: EncodedBatch, separator: string): Promise<void> {
    let writes = batch.rowCount > 0 ? 2 : 1;
    const written = (): void => {
      if (--writes === 0 && this.spare.length < MOST_SPARE_BUFFERS) this.spare.push(batch.buffer);
    };
    await this.csv.writeBytes(new Uint8Array(batch.buffer, 0, batch.csvBytes), written);
    if (batch.rowCount > 0) {
      await this.json.write(separator);
      await this.json.writeBytes(new Uint8Array(batch.buffer, batch.csvBytes, batch.jsonBytes), written);
    }
  }

  async finish(): Promise<RunResult> {
    if (this.position !== this.order.length)
      throw new Error(`${this.order.length - this.position} cells never finished`);
    const skeleton = assembleResult(this.scenario, [], this.environment);
    const claims = evaluateClaims(this.scenario, this.kept, skeleton.engines);
    const assembled: RunResult = { ...skeleton, skipped: this.skipped, notes: this.notes, claims };
    const final = this.options.finish ? this.options.finish(assembled) : assembled;
    const { tail } = jsonAroundRows(final);
    await this.json.write(this.rowsWritten > 0 ? `\n  ${tail}\n` : `${tail}\n`);
    return { ...final, rows: this.kept };
  }
}
