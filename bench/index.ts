/**
 * virtbench's programmatic API: load and run a scenario, reach the engine registry, and render
 * the same reports the CLI writes.
 */

export type { ModeledEngineSpec } from '../engines/model/params.js';
export { type StormOptions, type StormResult, simulateStorm } from '../engines/model/storm.js';
export { defineModeledEngine, type ModeledEngine, predict } from '../engines/modeled/define.js';
export { assumed, derived, param, read } from '../engines/param.js';
export { ENGINE_LOADERS, engineIds, hasEngine, loadEngine, REAL_DRIVER_LOADERS } from '../engines/registry.js';
export type * from '../engines/types.js';
export { main } from './cli.js';
export { InputError, type InputProblem } from './errors.js';
export type { ResultRow } from './metrics.js';
export { METRIC_FAMILIES, metricInfo } from './metrics.js';
export { defaultWorkers, type FileRunOptions, type FileRunResult, runScenarioToFiles } from './pool/run.js';
export { renderCsv } from './report/csv.js';
export { renderJson } from './report/json.js';
export { renderTerminal } from './report/terminal.js';
export type { ClaimResult, EngineSummary, RunResult, SkippedCell } from './results.js';
export { buildCell, type CellPlan, planCells, type RunOptions, runCell, runScenario } from './runner.js';
export { loadScenario, type Scenario, type ScenarioEngine, type ScenarioOverrides } from './scenario/load.js';
export { type ScenarioDocument, scenarioJsonSchema, scenarioSchema } from './scenario/schema.js';
export { percentile, type Summary, summarize } from './stats.js';
