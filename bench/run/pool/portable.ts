import type { ModeledEngineSpec } from '../../../engines/model/params.js';
import { defineModeledEngine, isMadeFromSpec } from '../../../engines/modeled/define.js';
import type { Engine, EngineOptions } from '../../../engines/types.js';
import type { Scenario } from '../../scenario/load.js';
import type { CellScenario } from '../plan.js';

/**
 * A scenario as plain data that a worker thread rebuilds without reading, parsing and validating
 * its file again: the worker never loads a scenario. That keeps the YAML parser and the schema
 * out of the workers, which then start in a fraction of the time.
 */
export interface PortableScenario extends Omit<CellScenario, 'engines'> {
  readonly engines: readonly PortableEngine[];
}

export type PortableEngine =
  /** A modeled engine, rebuilt from its spec. */
  | { readonly from: 'spec'; readonly spec: ModeledEngineSpec; readonly options: EngineOptions }
  /** An engine from a module, which the worker imports itself: its code only that module holds. */
  | { readonly from: 'module'; readonly module: string; readonly options: EngineOptions }
  /** A real driver: its cells run on the main thread only, so a worker needs just its place. */
  | { readonly from: 'main-thread-only'; readonly identity: EngineIdentity; readonly options: EngineOptions };

type EngineIdentity = Pick<Engine, 'id' | 'title' | 'kind' | 'driver'>;

/**
 * The scenario as plain data, or undefined when an engine can be rebuilt neither from data nor
 * from a module (an engine object a program built in memory); such a scenario runs on one thread.
 */
export function toPortable(scenario: Scenario): PortableScenario | undefined {
  const engines: PortableEngine[] = [];
  for (const { engine, options, module } of scenario.engines) {
    if (engine.driver === 'real') {
      const identity = { id: engine.id, title: engine.title, kind: engine.kind, driver: engine.driver };
      engines.push({ from: 'main-thread-only', identity, options });
    } else if (isMadeFromSpec(engine) && isPlainData(engine.spec)) {
      engines.push({ from: 'spec', spec: engine.spec, options });
    } else if (module) {
      engines.push({ from: 'module', module, options });
    } else {
      return undefined;
    }
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

export async function fromPortable(portable: PortableScenario): Promise<CellScenario> {
  const engines = await Promise.all(
    portable.engines.map(async (entry) => ({ engine: await rebuild(entry), options: entry.options })),
  );
  return { ...portable, engines };
}

async function rebuild(entry: PortableEngine): Promise<Engine> {
  switch (entry.from) {
    case 'spec':
      return defineModeledEngine(entry.spec);
    case 'module': {
      // The main thread loaded and checked this module already; its default or `engine` export is the engine.
      const exports = (await import(entry.module)) as { default?: Engine; engine?: Engine };
      return (exports.default ?? exports.engine)!;
    }
    case 'main-thread-only':
      return mainThreadOnly(entry.identity);
  }
}

function mainThreadOnly(identity: EngineIdentity): Engine {
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
