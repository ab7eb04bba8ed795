/**
 * virtbench's programmatic API: load and run a scenario, reach the engine registry, and render
 * the same reports the CLI writes.
 */
export { loadScenario, type Scenario, type ScenarioEngine, type ScenarioOverrides } from './scenario/load.js';
export { scenarioSchema, scenarioJsonSchema, type ScenarioDocument } from './scenario/schema.js';
export { runScenario, planCells, buildCell, runCell, type CellPlan, type RunOptions } from './runner.js';
export { runScenarioToFiles, defaultWorkers, type FileRunOptions, type FileRunResult } from './pool/run.js';
export type { RunResult, ClaimResult, EngineSummary, SkippedCell } from './results.js';
export type { ResultRow } from './metrics.js';
export { metricInfo, METRIC_FAMILIES } from './metrics.js';
export { summarize, percentile, type Summary } from './stats.js';
export { renderCsv } from './report/csv.js';
export { renderJson } from './report/json.js';
export { renderTerminal } from './report/terminal.js';
export { InputError, type InputProblem } from './errors.js';
export { main } from './cli.js';

export { ENGINE_LOADERS, REAL_DRIVER_LOADERS, engineIds, hasEngine, loadEngine } from '../engines/registry.js';
export { defineModeledEngine, predict, type ModeledEngine } from '../engines/modeled/define.js';
export { simulateStorm, type StormOptions, type StormResult } from '../engines/model/storm.js';
export type { ModeledEngineSpec } from '../engines/model/params.js';
export { read, derived, assumed, param } from '../engines/param.js';
export type * from '../engines/types.js';
