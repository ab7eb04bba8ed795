import { retentionFor, runBatch } from '../../bench/run/batch.js';
import { planCells } from '../../bench/run/plan.js';
import { loadScenario } from '../../bench/scenario/load.js';

/**
 * A scenario's cells, for self-benchmarks that time cells on a thread of their own: each chosen
 * cell runs as its own batch, as a sweep would run it, and nothing is written.
 */
export async function loadCells(
  file: string,
): Promise<{ readonly count: number; run: (indices: Iterable<number>) => Promise<void> }> {
  const scenario = await loadScenario(file);
  const plans = planCells(scenario);
  const output = { retention: retentionFor(scenario, plans.length), text: true };
  return {
    count: plans.length,
    run: async (indices) => {
      for (const i of indices) await runBatch(scenario, [plans[i]!], output);
    },
  };
}

/** from, from + step, ... below `to`. */
export function* positions(from: number, to: number, step = 1): Generator<number> {
  for (let i = from; i < to; i += step) yield i;
}
