import { move, transferableSymbol, valueSymbol } from 'piscina';
import { planCells, type CellPlan } from '../runner.js';
import { loadScenario, type Scenario, type ScenarioOverrides } from '../scenario/load.js';
import { runBatch, type CellBatch, type Retention } from './batch.js';

/**
 * The pool's worker: it rebuilds the scenario from its file and the same command-line overrides
 * the main thread used, then runs cells by their index in the scenario's canonical order. Every
 * cell's seed comes from the scenario seed, the engine and the sweep point, so the worker that
 * runs a cell does not change its numbers.
 */
export interface CellTask {
  readonly file: string;
  readonly overrides: ScenarioOverrides;
  readonly indices: readonly number[];
  readonly retention: Retention;
}

interface Loaded {
  readonly scenario: Scenario;
  readonly plans: readonly CellPlan[];
}

const loaded = new Map<string, Promise<Loaded>>();
const encoder = new TextEncoder();

function load(file: string, overrides: ScenarioOverrides): Promise<Loaded> {
  const key = JSON.stringify([file, overrides]);
  let entry = loaded.get(key);
  if (!entry) {
    entry = loadScenario(file, overrides).then((scenario) => ({ scenario, plans: planCells(scenario) }));
    loaded.set(key, entry);
  }
  return entry;
}

export default async function runCells(task: CellTask): Promise<ReturnType<typeof move>> {
  const { scenario, plans } = await load(task.file, task.overrides);
  const chosen = task.indices.map((index) => {
    const plan = plans[index];
    if (!plan) throw new Error(`cell ${index} is not in scenario ${scenario.name} (${plans.length} cells)`);
    return plan;
  });
  const batch = await runBatch(scenario, chosen, task.retention);
  // The report text moves to the main thread as bytes, which transfer instead of being copied.
  const csv = encoder.encode(batch.csv as string);
  const json = encoder.encode(batch.json as string);
  const moved: CellBatch = { ...batch, csv, json };
  return move({
    get [transferableSymbol]() {
      return [csv.buffer, json.buffer];
    },
    get [valueSymbol](): CellBatch {
      return moved;
    },
  });
}
