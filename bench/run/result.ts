import type { Environment } from '../../engines/shared/environment.js';
import { type EngineSummary, RESULT_SCHEMA_VERSION, type RunResult } from '../report/results.js';
import type { Scenario } from '../scenario/load.js';
import type { CellOutcome } from './cell.js';
import { evaluateClaims } from './claims.js';

export function engineSummaries(scenario: Scenario): EngineSummary[] {
  return scenario.engines.map(({ engine }) => ({
    id: engine.id,
    title: engine.title,
    kind: engine.kind,
    driver: engine.driver,
    ...(engine.modeledCounterpart ? { modeledCounterpart: engine.modeledCounterpart } : {}),
  }));
}

/**
 * A run's result from its cells' outcomes, in canonical order with the claims evaluated. The
 * writer starts from the empty one; `merge` assembles shards' outcomes with it.
 */
export function assembleResult(
  scenario: Scenario,
  outcomes: readonly CellOutcome[],
  environment: Environment,
): RunResult {
  const ordered = [...outcomes].sort((a, b) => a.plan.index - b.plan.index);
  const rows = ordered.flatMap((o) => (o.state === 'measured' ? o.rows : []));
  const engines = engineSummaries(scenario);
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    scenario: { name: scenario.name, file: scenario.file, description: scenario.description },
    seed: scenario.seed,
    repetitions: scenario.repetitions,
    environment,
    hardware: scenario.hardware,
    sweepParameters: Object.keys(scenario.sweep),
    engines,
    rows,
    skipped: ordered.flatMap((o) => (o.state === 'skipped' ? [o.skipped] : [])),
    notes: ordered.flatMap((o) => (o.state === 'measured' ? o.notes : [])),
    claims: evaluateClaims(scenario, rows, engines),
  };
}
