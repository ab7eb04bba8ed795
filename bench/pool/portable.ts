import { defineModeledEngine, isMadeFromSpec } from '../../engines/modeled/define.js';
import type { ModeledEngineSpec } from '../../engines/model/params.js';
import type { EngineOptions } from '../../engines/types.js';
import type { CellScenario } from '../runner.js';
import type { Scenario } from '../scenario/load.js';

/**
 * A scenario as plain data that a worker thread rebuilds without reading, parsing and validating
 * its file again. That keeps the YAML parser and the schema out of the workers, which then start
 * in a fraction of the time, and a sweep's second core computes cells sooner.
 */
export interface PortableScenario extends Omit<CellScenario, 'engines'> {
  readonly engines: readonly PortableEngine[];
}

export interface PortableEngine {
  readonly spec: ModeledEngineSpec;
  readonly options: EngineOptions;
}

/**
 * The scenario as plain data, or undefined when an engine cannot be rebuilt from data alone: a
 * real driver, or an engine from a module whose code only that module holds. Such scenarios go
 * to the workers as their file instead.
 */
export function toPortable(scenario: Scenario): PortableScenario | undefined {
  const engines: PortableEngine[] = [];
  for (const entry of scenario.engines) {
    if (!isMadeFromSpec(entry.engine)) return undefined;
    engines.push({ spec: entry.engine.spec, options: entry.options });
  }
  return {
    name: scenario.name,
    hardware: scenario.hardware,
    seed: scenario.seed,
    repetitions: scenario.repetitions,
    app: scenario.app,
    workload: scenario.workload,
    density: scenario.density,
    ...(scenario.storm ? { storm: scenario.storm } : {}),
    metrics: scenario.metrics,
    sweep: scenario.sweep,
    engines,
  };
}

export function fromPortable(portable: PortableScenario): CellScenario {
  return {
    ...portable,
    engines: portable.engines.map(({ spec, options }) => ({ engine: defineModeledEngine(spec), options })),
  };
}
