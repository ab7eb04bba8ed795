import type { ModeledEngineSpec } from '../../../engines/model/params.js';
import { defineModeledEngine, isMadeFromSpec } from '../../../engines/modeled/define.js';
import type { Engine, EngineOptions } from '../../../engines/types.js';
import type { Scenario } from '../../scenario/load.js';
import type { CellScenario } from '../runner.js';

/**
 * A scenario as plain data that a worker thread rebuilds without reading, parsing and validating
 * its file again. That keeps the YAML parser and the schema out of the workers, which then start
 * in a fraction of the time, and a sweep's second core computes cells sooner.
 */
export interface PortableScenario extends Omit<CellScenario, 'engines'> {
  readonly engines: readonly PortableEngine[];
}

export type PortableEngine =
  | { readonly spec: ModeledEngineSpec; readonly options: EngineOptions }
  /** A real driver: its cells run on the main thread only, so a worker needs just its place. */
  | { readonly mainThreadOnly: Pick<Engine, 'id' | 'title' | 'kind' | 'driver'>; readonly options: EngineOptions };

/**
 * The scenario as plain data, or undefined when a modeled engine cannot be rebuilt from data
 * alone (an engine from a module, whose code only that module holds). Such scenarios go to the
 * workers as their file instead.
 */
export function toPortable(scenario: Scenario): PortableScenario | undefined {
  const engines: PortableEngine[] = [];
  for (const { engine, options } of scenario.engines) {
    if (engine.driver === 'real') {
      engines.push({
        mainThreadOnly: { id: engine.id, title: engine.title, kind: engine.kind, driver: engine.driver },
        options,
      });
      continue;
    }
    if (!isMadeFromSpec(engine) || !isPlainData(engine.spec)) return undefined;
    engines.push({ spec: engine.spec, options });
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
    engines: portable.engines.map((entry) =>
      'spec' in entry
        ? { engine: defineModeledEngine(entry.spec), options: entry.options }
        : { engine: mainThreadOnly(entry.mainThreadOnly), options: entry.options },
    ),
  };
}

function mainThreadOnly(identity: Pick<Engine, 'id' | 'title' | 'kind' | 'driver'>): Engine {
  return {
    ...identity,
    measure: async () => {
      throw new Error(`${identity.id} is a real driver: its cells run on the main thread only`);
    },
  };
}

/** Whether a value survives a structured clone unchanged: no functions, class instances or cycles. */
function isPlainData(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) return true;
  if (typeof value !== 'object' || seen.has(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null) return false;
  seen.add(value);
  const plain = Object.values(value).every((item) => isPlainData(item, seen));
  seen.delete(value);
  return plain;
}
