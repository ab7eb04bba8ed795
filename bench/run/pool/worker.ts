import { type MessagePort, receiveMessageOnPort, threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { type CellPlan, type CellScenario, planCells } from '../runner.js';
import { type Retention, runBatch } from './batch.js';
import { CLAIM_MS, ClaimBoard, cellsForTime, MOST_CELLS_PER_CLAIM, type SharedBoard } from './claims.js';
import { encodeBatch, epochMs } from './encode.js';
import { fromPortable, type PortableScenario } from './portable.js';
import type { ScenarioSource } from './run.js';

/**
 * The pool's worker. It claims cells from the run's board (claims.ts) until none are left, and
 * sends each batch's report text to the main thread over `port` as it finishes. Every cell's seed
 * comes from the scenario seed, the engine and the sweep point, so the thread that runs a cell
 * does not change its numbers.
 */
export interface ClaimTask {
  readonly board: SharedBoard;
  readonly retention: Retention;
  /** Batches go out on it; buffers the main thread has written come back on it (see encode.ts). */
  readonly port: MessagePort;
}

/** The last message on a task's port: every batch has been sent. (The task's result counts them.) */
export interface ClaimsDone {
  readonly done: true;
}

/**
 * What every worker starts from: the scenario as plain data when its engines allow it, otherwise
 * its file and the command-line overrides the main thread applied, to load it the same way.
 */
export type WorkerSetup = { readonly scenario: PortableScenario } | { readonly source: ScenarioSource };

interface Loaded {
  readonly scenario: CellScenario;
  readonly plans: readonly CellPlan[];
}

let loaded: Promise<Loaded> | undefined;

async function load(setup: WorkerSetup): Promise<Loaded> {
  let scenario: CellScenario;
  if ('scenario' in setup) {
    scenario = fromPortable(setup.scenario);
  } else {
    // Only scenarios with engines from modules get here; the loader is imported for them alone.
    const { loadScenario } = await import('../../scenario/load.js');
    scenario = await loadScenario(setup.source.file, setup.source.overrides);
  }
  return { scenario, plans: planCells(scenario) };
}

/** While claimed cells wait to be written, a worker checks again this often at the latest. */
const WAIT_MS = 50;

/** Runs claimed cells until the board has none left; returns how many it ran. */
export default async function runClaims(task: ClaimTask): Promise<number> {
  loaded ??= load(workerData as WorkerSetup);
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
      const batch = await runBatch(scenario, chosen, task.retention);
      const endedAt = epochMs();
      ranMs += endedAt - startedAt;
      // This loop never yields to the event loop, so written buffers are collected here.
      for (let returned = receiveMessageOnPort(task.port); returned; returned = receiveMessageOnPort(task.port)) {
        spare.push(returned.message as ArrayBuffer);
      }
      const encoded = encodeBatch(batch, spare, { thread: threadId, startedAt, endedAt });
      task.port.postMessage(encoded, [encoded.buffer]);
      ran += chosen.length;
    }
  } catch (error) {
    // The other threads stop claiming; the main thread reports this error.
    board.stop();
    throw error;
  }
  task.port.postMessage({ done: true } satisfies ClaimsDone);
  task.port.close();
  return ran;
}
