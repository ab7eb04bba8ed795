import { yieldForStop } from '../../engines/shared/stop.js';
import type { BatchOutput, CellBatch } from './batch.js';
import { runBatch } from './batch.js';
import type { CellPlan, CellScenario } from './plan.js';
import { type BatchTiming, type EncodedBatch, epochMs } from './pool/encode.js';

/** A finished batch as it reaches the writer: text from this thread, or bytes from a pool worker. */
export type FinishedBatch = CellBatch | EncodedBatch;

/**
 * Where executors hand finished batches. It writes them in canonical order, holding early
 * finishers back, and tells a pool how far it has got, so that finished batches waiting for
 * earlier cells stay few.
 */
export interface BatchSink {
  deliver(batch: FinishedBatch): Promise<void>;
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

/**
 * Runs cells and delivers their batches to a sink, in whatever order they finish. Resolves, once
 * every batch is delivered, with how many threads ran cells (0 when there were none).
 */
export interface Executor {
  run(plans: readonly CellPlan[], sink: BatchSink): Promise<number>;
}

/** Cells per batch on this thread at most: small, so little is alive when the young generation is collected. */
export const LOCAL_CHUNK = 8;

/**
 * Runs every cell on this thread, one small batch after another; a batch is an unbroken run of
 * `order`, the run's cells in canonical order. Real-driver cells always run this way, one at a
 * time, so measurements never share the host with simulation work.
 */
export function inProcessExecutor(
  scenario: CellScenario,
  output: BatchOutput,
  order: readonly CellPlan[],
  options: { readonly chunk?: number; readonly onBatchTimed?: (timing: BatchTiming) => void } = {},
): Executor {
  const chunk = options.chunk ?? LOCAL_CHUNK;
  return {
    async run(plans, sink) {
      const runEnds = unbrokenRunEnds(order, plans);
      for (let start = 0; start < plans.length; ) {
        const end = Math.min(start + chunk, runEnds[start]!);
        const chosen = plans.slice(start, end);
        const startedAt = epochMs();
        const batch = await runBatch(scenario, chosen, output);
        options.onBatchTimed?.({ thread: 0, startedAt, endedAt: epochMs(), cells: chosen.map((plan) => plan.index) });
        await sink.deliver(batch);
        start = end;
        // Let the event loop run between batches: the report files' writes complete while the
        // next batch computes instead of piling up until the stream's buffer is full, and Ctrl-C
        // and SIGTERM stop a long run promptly even when it writes no files.
        await yieldForStop();
      }
      return plans.length > 0 ? 1 : 0;
    },
  };
}

/**
 * For each cell of `cells`, the position in `cells` where its unbroken run ends: the next cell
 * of `order` that is not in `cells` (a real-driver cell, when `cells` are the model cells), or the end.
 */
export function unbrokenRunEnds(order: readonly CellPlan[], modelCells: readonly CellPlan[]): number[] {
  const position = new Map(order.map((plan, at) => [plan.index, at]));
  const ends = new Array<number>(modelCells.length);
  for (let i = modelCells.length - 1; i >= 0; i--) {
    const follows =
      i + 1 < modelCells.length && position.get(modelCells[i + 1]!.index) === position.get(modelCells[i]!.index)! + 1;
    ends[i] = follows ? ends[i + 1]! : i + 1;
  }
  return ends;
}
