/**
 * virtbench's programmatic API: load and run a scenario, reach the engine registry, and render
 * the same reports the CLI writes.
 */

export { METRIC_FAMILIES, metricInfo } from '../engines/metrics.js';
export type { ModeledEngineSpec } from '../engines/model/params.js';
export { type StormOptions, type StormResult, simulateStorm } from '../engines/model/storm.js';
export { defineModeledEngine, type ModeledEngine, predict } from '../engines/modeled/define.js';
export { assumed, derived, param, read } from '../engines/param.js';
export { ENGINE_LOADERS, engineIds, hasEngine, loadEngine, REAL_DRIVER_LOADERS } from '../engines/registry.js';
export type { Environment, HostLoad, Provenance } from '../engines/shared/environment.js';
export { InputError, type InputProblem } from '../engines/shared/errors.js';
export { percentile, type Summary, summarize } from '../engines/shared/stats.js';
export type * from '../engines/types.js';
export { main } from './cli/main.js';
export { renderCsv } from './report/csv.js';
export { renderJson } from './report/json.js';
export type { ResultRow } from './report/metrics.js';
export type {
  ClaimResult,
  EngineSummary,
  ResolvedEngine,
  ResolvedScenario,
  RunResult,
  ScenarioRecord,
  SkippedCell,
} from './report/results.js';
export { renderTerminal } from './report/terminal.js';
export { type CellOutcome, runCell } from './run/cell.js';
export { buildCell, type CellPlan, planCells } from './run/plan.js';
export { defaultWorkers } from './run/pool/pool.js';
export { type RunOptions, type RunOutcome, runScenario } from './run/run.js';
export { loadScenario, type Scenario, type ScenarioEngine, type ScenarioOverrides } from './scenario/load.js';
export { type ScenarioDocument, scenarioJsonSchema, scenarioSchema } from './scenario/schema.js';
