import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Piscina } from 'piscina';
import { packageRoot } from '../../../engines/shared/environment.js';
import type { Scenario } from '../../scenario/load.js';
import { type BatchOutput, runBatch } from '../batch.js';
import { type BatchSink, type Executor, LOCAL_CHUNK, unbrokenRunEnds } from '../executor.js';
import type { CellPlan } from '../plan.js';
import { CLAIM_MS, ClaimBoard, cellsForTime, MOST_CELLS_PER_CLAIM } from './board.js';
import { type BatchTiming, epochMs } from './encode.js';
import type { PortableScenario } from './portable.js';
import type { ClaimTask, WorkerMessage } from './worker.js';

export function defaultWorkers(): number {
  return availableParallelism();
}

/** Time spent measuring cells on the main thread before deciding whether a pool pays. */
const PROBE_MS = 40;
export const DEFAULT_POOL_WORTH_MS = 400;
/**
 * Boot-storm instances the simulator gets through per millisecond at most. A storm of 100,000
 * instances started at once takes 2 to 6 µs per instance, and a native process's storm, the
 * cheapest, 0.35 to 0.65 µs (`npm run bench`); 0.2 µs keeps the estimate below what a storm costs
 * on a machine a few times faster.
 */
const STORM_INSTANCES_PER_MS = 5000;

/**
 * How long `plans` take on one thread, as far as is known before any of them runs, leaving out
 * the costliest cell: one thread runs that one anyway, so a pool only pays for the rest. Only boot
 * storms are counted. The probe measures everything else, but one storm cell can take half a
 * second, and the probe would keep a second thread waiting for all of it. (A cell its engine turns
 * down, or an engine from a module, may simulate no storm, and so start a pool early.)
 */
export function shareableKnownMs(scenario: Pick<Scenario, 'storm'>, plans: readonly CellPlan[]): number {
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

/**
 * The main thread's young generation on 64-bit Node: three 16 MiB semi-spaces. V8 sizes its
 * number-to-string cache from it, and reports turn every number into text, so a worker with a
 * smaller young generation formats numbers 1.5 times slower and falls behind the main thread.
 */
const WORKER_YOUNG_GENERATION_MB = 48;

export interface PoolOptions {
  /** Threads that run cells, the main thread included unless `mainThreadRunsCells` is false. */
  readonly workers: number;
  /**
   * The pool starts once the cells left look like taking at least this long on one thread, so
   * small runs do not pay for starting threads. 0 starts it at once.
   */
  readonly poolWorthMs?: number;
  /**
   * False leaves every cell to `workers` pool threads, started at once, and keeps the main thread
   * to writing the reports. Tests use it to pin cells to workers; by default the main thread runs
   * cells too.
   */
  readonly mainThreadRunsCells?: boolean;
  /** Called on the main thread for every batch, whichever thread ran it (test/perf/trace-sweep.ts). */
  readonly onBatchTimed?: (timing: BatchTiming) => void;
}

/**
 * Runs model cells on `workers` threads: the main thread and, once the cells left look worth it,
 * a piscina pool of `workers - 1` more. Every thread claims its own cells from a board in shared
 * memory (board.ts), so workers never wait for the main thread, which may be in the middle of a
 * long cell, to hand them work. The main thread claims smaller batches than the workers, because
 * between its batches it writes everyone's. `order` is every cell of the run, real-driver cells
 * included: a claim never crosses one (see unbrokenRunEnds).
 */
export function poolExecutor(
  scenario: Scenario,
  portable: PortableScenario,
  order: readonly CellPlan[],
  output: BatchOutput,
  options: PoolOptions,
): Executor {
  return { run: (plans, sink) => runOnPool(scenario, portable, order, output, options, plans, sink) };
}

async function runOnPool(
  scenario: Scenario,
  portable: PortableScenario,
  order: readonly CellPlan[],
  output: BatchOutput,
  options: PoolOptions,
  plans: readonly CellPlan[],
  sink: BatchSink,
): Promise<number> {
  const workers = options.workers;
  const mainRuns = options.mainThreadRunsCells !== false || workers === 1;
  const worthMs = options.poolWorthMs ?? DEFAULT_POOL_WORTH_MS;
  const onBatchTimed = options.onBatchTimed;
  const board = ClaimBoard.create(
    plans.map((plan) => plan.index),
    unbrokenRunEnds(order, plans),
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
      port.on('message', (message: WorkerMessage) => {
        if (message.kind === 'done') {
          resolve();
          return;
        }
        const { batch, timing } = message;
        onBatchTimed?.({ ...timing, cells: batch.cells.map((cell) => cell.index) });
        const spare = sink.spareBuffer();
        if (spare) port.postMessage(spare, [spare]);
        const arrival: Promise<void> = sink
          .deliver(batch)
          .then(() => board.settle(sink.settled()))
          .catch(fail)
          .finally(() => arrivals.delete(arrival));
        arrivals.add(arrival);
      });
    });
    const task: ClaimTask = { board: board.shared, output, port: channel.port2 };
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
      pool = await startPool(workers, portable, fail);
      for (let thread = 0; thread < workers; thread++) startWorker(pool);
    }
    while (mainRuns) {
      if (failure !== undefined) break;
      const elapsed = performance.now() - started;
      if (!pool && workers > 1 && poolPays(worthMs, knownMs, elapsed, board.claimed, board.size)) {
        // Piscina loads in a few event-loop turns; computing meanwhile would stretch each turn to
        // a batch of cells. The threads themselves start in the background while this one computes.
        pool = await startPool(workers - 1, portable, fail);
        for (let thread = 1; thread < workers; thread++) startWorker(pool);
      }
      // Batches that arrived while this thread computed or waited may have moved the report on.
      board.settle(sink.settled());
      // Single cells while measuring, then small batches, so memory stays flat and writing keeps up.
      const claim = board.claim(elapsed >= PROBE_MS ? cellsFor(CLAIM_MS / 2, LOCAL_CHUNK) : 1);
      if (claim === 'done') break;
      if (claim === 'wait') {
        // Too much is claimed and unwritten: wait for the report to move on.
        const wake = woken();
        await Promise.race([sink.progress(), wake]);
        continue;
      }
      const chosen = plans.slice(claim.start, claim.end);
      const startedAt = epochMs();
      const batch = await runBatch(scenario, chosen, output);
      const endedAt = epochMs();
      localMs += endedAt - startedAt;
      onBatchTimed?.({ thread: 0, startedAt, endedAt, cells: chosen.map((plan) => plan.index) });
      localCells += chosen.length;
      board.setWorkerChunk(cellsFor(CLAIM_MS, MOST_CELLS_PER_CLAIM));
      await sink.deliver(batch);
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

/**
 * Piscina loads only when a run is big enough to want threads. A thread that cannot start fails
 * the run through `onError`: piscina replaces it, and would otherwise throw the replacement's
 * failure where nobody catches it.
 */
async function startPool(
  threads: number,
  portable: PortableScenario,
  onError: (error: unknown) => void,
): Promise<Piscina> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: pathToFileURL(workerFile()).href,
    minThreads: threads,
    maxThreads: threads,
    workerData: portable,
    // The old generation is not capped: V8 ends the whole process, not just the worker, when
    // one allocation crosses such a cap.
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  pool.on('error', onError);
  return pool;
}

/** The worker: next to this module when bundled or compiled, or the bundled one when running from source under a test runner. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(dirname(here), 'worker.js');
  if (here.endsWith('.js') && existsSync(sibling)) return sibling;
  const bundled = join(packageRoot(), 'dist', 'bundle', 'worker.js');
  if (existsSync(bundled)) return bundled;
  throw new Error('the worker pool needs the bundled worker: run `npm run build:bundle`');
}
