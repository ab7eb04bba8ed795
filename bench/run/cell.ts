import { type ResultRow, rowsFromMeasurement } from '../report/metrics.js';
import type { SkippedCell } from '../report/results.js';
import { buildCell, type CellPlan, type CellScenario } from './plan.js';

/** What one cell produced: rows, or the reasons its engine could not run it. */
export type CellOutcome =
  | {
      readonly state: 'measured';
      readonly plan: CellPlan;
      readonly rows: readonly ResultRow[];
      readonly notes: readonly string[];
    }
  | { readonly state: 'skipped'; readonly plan: CellPlan; readonly skipped: SkippedCell };

/** Runs one cell on its engine and summarizes the measurement into rows. */
export async function runCell(scenario: CellScenario, plan: CellPlan): Promise<CellOutcome> {
  const entry = scenario.engines[plan.engineIndex]!;
  const cell = buildCell(scenario, entry, plan.point);
  const measurement = await entry.engine.measure(cell);
  if (measurement.state === 'unsuitable') {
    return {
      state: 'skipped',
      plan,
      skipped: { engine: entry.engine.id, params: plan.point, reasons: measurement.reasons },
    };
  }
  const rows = rowsFromMeasurement(
    measurement,
    {
      scenario: scenario.name,
      engine: entry.engine.id,
      kind: entry.engine.kind,
      driver: entry.engine.driver,
      hardware: cell.hardware.id,
      params: plan.point,
    },
    scenario.metrics,
  );
  return {
    state: 'measured',
    plan,
    rows,
    notes: (measurement.notes ?? []).map((note) => `${entry.engine.id}: ${note}`),
  };
}
