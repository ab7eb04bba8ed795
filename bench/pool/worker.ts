import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { planCells, type CellPlan, type CellScenario } from '../runner.js';
import { runBatch, type Retention } from './batch.js';
import { encodeBatch, type EncodedBatch } from './encode.js';
import { fromPortable, type PortableScenario } from './portable.js';
import type { ScenarioSource } from './run.js';

/**
 * The pool's worker. It runs cells by their index in the scenario's canonical order. Every cell's
 * seed comes from the scenario seed, the engine and the sweep point, so the worker that runs a
 * cell does not change its numbers.
 */
export interface CellTask {
  readonly indices: readonly number[];
  readonly retention: Retention;
  /** Buffers the main thread has written and hands back for reuse (see encode.ts). */
  readonly spare: readonly ArrayBuffer[];
}

/**
 * What every worker starts from: the scenario as plain data when its engines allow it, otherwise
 * its file and the command-line overrides the main thread applied, to load it the same way.
 */
export type WorkerSetup =
  | { readonly scenario: PortableScenario }
  | { readonly source: ScenarioSource };

interface Loaded {
  readonly scenario: CellScenario;
  readonly plans: readonly CellPlan[];
}

let loaded: Promise<Loaded> | undefined;
const spare: ArrayBuffer[] = [];

async function load(setup: WorkerSetup): Promise<Loaded> {
  let scenario: CellScenario;
  if ('scenario' in setup) {
    scenario = fromPortable(setup.scenario);
  } else {
    // Only scenarios with engines from modules get here; the loader is imported for them alone.
    const { loadScenario } = await import('../scenario/load.js');
    scenario = await loadScenario(setup.source.file, setup.source.overrides);
  }
  return { scenario, plans: planCells(scenario) };
}

/**
 * Runs the task's cells and moves their report text to the main thread as UTF-8 bytes, in a buffer
 * the main thread returns once it has written them.
 */
export default async function runCells(task: CellTask): Promise<EncodedBatch> {
  for (const buffer of task.spare) spare.push(buffer);
  loaded ??= load(workerData as WorkerSetup);
  const { scenario, plans } = await loaded;
  const chosen = task.indices.map((index) => {
    const plan = plans[index];
    if (!plan) throw new Error(`cell ${index} is not in scenario ${scenario.name} (${plans.length} cells)`);
    return plan;
  });
  return movable(encodeBatch(await runBatch(scenario, chosen, task.retention), spare));
}

/** Wraps an encoded batch so that piscina moves its buffer to the main thread instead of copying it. */
function movable(batch: EncodedBatch): EncodedBatch {
  return move({
    get [transferableSymbol]() {
      return [batch.buffer];
    },
    get [valueSymbol]() {
      return batch;
    },
  }) as unknown as EncodedBatch;
}
