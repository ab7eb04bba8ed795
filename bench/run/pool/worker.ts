import { type MessagePort, receiveMessageOnPort, threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { type BatchOutput, runBatch } from '../batch.js';
import type { FinishedBatch } from '../executor.js';
import { type CellPlan, type CellScenario, planCells } from '../plan.js';
import { CLAIM_MS, ClaimBoard, cellsForTime, MOST_CELLS_PER_CLAIM, type SharedBoard } from './board.js';
import { type BatchTiming, encodeBatch, epochMs } from './encode.js';
import { fromPortable, type PortableScenario } from './portable.js';

/**
 * The pool's worker. It starts from the scenario as plain data (`workerData`), claims cells from
 * the run's board (board.ts) until none are left, and sends each finished batch to the main
 * thread over `port`. Every cell's seed comes from the scenario seed, the engine and the sweep
 * point, so the thread that runs a cell does not change its numbers.
 */
export interface ClaimTask {
  readonly board: SharedBoard;
  readonly output: BatchOutput;
  /** Batches go out on it; buffers the main thread has written come back on it (see encode.ts). */
  readonly port: MessagePort;
}

/** What a worker sends on its task's port: a finished batch, then, last, that it has sent them all. */
export type WorkerMessage =
  | { readonly kind: 'batch'; readonly batch: FinishedBatch; readonly timing: Omit<BatchTiming, 'cells'> }
  | { readonly kind: 'done' };

interface Loaded {
  readonly scenario: CellScenario;
  readonly plans: readonly CellPlan[];
}

let loaded: Promise<Loaded> | undefined;

async function load(portable: PortableScenario): Promise<Loaded> {
  const scenario = await fromPortable(portable);
  return { scenario, plans: planCells(scenario) };
}

/** While claimed cells wait to be written, a worker checks again this often at the latest. */
const WAIT_MS = 50;

/** Runs claimed cells until the board has none left; returns how many it ran. */
export default async function runClaims(task: ClaimTask): Promise<number> {
  loaded ??= load(workerData as PortableScenario);
  const { scenario, plans } = await loaded;
  const board = new ClaimBoard(task.board);
  const spare: ArrayBuffer[] = [];
  let ran = 0;
  let ranMs = 0;
  try {
    for (;;) {
      // Sized from this thread's own cells once it has run some, from the main thread's before.
      const claim = board.claim(ran > 0 ? cellsForTime(CLAIM_MS, MOST_CELLS_PER_CLAIM, ran, ranMs) : undefined);
      if (claim === 'done') break;
      if (claim === 'wait') {
        board.waitForSettled(WAIT_MS);
        continue;
      }
      const chosen: CellPlan[] = [];
      for (let at = claim.start; at < claim.end; at++) {
        const index = board.cellIndex[at]!;
        const plan = plans[index];
        if (!plan) throw new Error(`cell ${index} is not in scenario ${scenario.name} (${plans.length} cells)`);
        chosen.push(plan);
      }
      const startedAt = epochMs();
      const batch = await runBatch(scenario, chosen, task.output);
      const endedAt = epochMs();
      ranMs += endedAt - startedAt;
      const timing = { thread: threadId, startedAt, endedAt };
      if (task.output.text) {
        // This loop never yields to the event loop, so written buffers are collected here.
        for (let back = receiveMessageOnPort(task.port); back; back = receiveMessageOnPort(task.port)) {
          spare.push(back.message as ArrayBuffer);
        }
        const encoded = encodeBatch(batch, spare);
        task.port.postMessage({ kind: 'batch', batch: encoded, timing } satisfies WorkerMessage, [encoded.buffer]);
      } else {
        task.port.postMessage({ kind: 'batch', batch, timing } satisfies WorkerMessage);
      }
      ran += chosen.length;
    }
  } catch (error) {
    // The other threads stop claiming; the main thread reports this error.
    board.stop();
    throw error;
  }
  task.port.postMessage({ kind: 'done' } satisfies WorkerMessage);
  task.port.close();
  return ran;
}
