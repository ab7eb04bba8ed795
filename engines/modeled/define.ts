import { bootPhases } from '../model/boot.js';
import { density } from '../model/density.js';
import { imageFootprint } from '../model/image.js';
import { faultBlastRadius, sharesHostKernel } from '../model/isolation.js';
import type { ModeledEngineSpec } from '../model/params.js';
import { stormMeasurement } from '../model/storm-metrics.js';
import { unsuitability } from '../model/suitability.js';
import { resolveVariants } from '../model/variants.js';
import { workloadSamples } from '../model/workload-metrics.js';
import { createRandom, noiseFactor } from '../shared/random.js';
import type { Cell, Engine, Measurement } from '../types.js';

export interface ModeledEngine<S extends ModeledEngineSpec = ModeledEngineSpec> extends Engine {
  readonly driver: 'model';
  readonly spec: S;
}

/** Each engine defineModeledEngine made, with the spec and measure it made it with. */
const madeFromSpec = new WeakMap<Engine, Pick<ModeledEngine, 'spec' | 'measure'>>();

/**
 * Turns an engine's parameters into an Engine: the kind picks the mechanism in engines/model/,
 * the parameters set its costs, and seeded noise gives repetitions a distribution.
 */
export function defineModeledEngine<const S extends ModeledEngineSpec>(spec: S): ModeledEngine<S> {
  const engine: ModeledEngine<S> = {
    id: spec.id,
    title: spec.title,
    kind: spec.kind,
    driver: 'model',
    spec,
    measure: async (cell) => predict(spec, cell),
  };
  madeFromSpec.set(engine, { spec, measure: engine.measure });
  return engine;
}

/**
 * Whether an engine is still what defineModeledEngine would make of its spec now, so that its
 * spec alone, which is plain data, rebuilds it on another thread. An engine copied with changes,
 * or changed in place (another id, a wrapped measure, a spec whose id, title or kind changed), is
 * not.
 */
export function isMadeFromSpec(engine: Engine): engine is ModeledEngine {
  const made = madeFromSpec.get(engine);
  const current = engine as ModeledEngine;
  return (
    made !== undefined &&
    current.spec === made.spec &&
    current.measure === made.measure &&
    current.driver === 'model' &&
    current.id === made.spec.id &&
    current.title === made.spec.title &&
    current.kind === made.spec.kind
  );
}

/** The model's prediction for one cell, synchronously, for callers that need no engine object. */
export function predict(engineSpec: ModeledEngineSpec, cell: Cell): Measurement {
  const { spec, notes: variantNotes } = resolveVariants(engineSpec, cell);
  const reasons = unsuitability(spec, cell);
  if (reasons.length > 0) return { state: 'unsuitable', reasons };
  const random = createRandom(cell.seed);
  const samples: Record<string, number[]> = {};
  const push = (metric: string, value: number): void => {
    const list = samples[metric] ?? [];
    samples[metric] = list;
    list.push(value);
  };

  const phases = bootPhases(spec, cell);
  const bootCov = spec.noise.bootCov.value;
  for (let rep = 0; rep < cell.repetitions; rep++) {
    let total = 0;
    for (const phase of phases) {
      const ms = phase.ms * noiseFactor(random, bootCov);
      push(`boot_time.${phase.name}`, ms);
      total += ms;
    }
    push('boot_time', total);
  }

  const image = imageFootprint(spec, cell);
  push('image_size', image.onDiskMiB);
  if (image.compressedMiB !== undefined) push('image_size.compressed', image.compressedMiB);
  push('image_size.fleet', image.fleetMiB);

  const fit = density(spec, cell);
  push('density', fit.instances);
  for (const [resource, limit] of Object.entries(fit.limits)) {
    if (Number.isFinite(limit)) push(`density.${resource}`, limit);
  }
  push('density.memory_per_instance', fit.memoryPerInstanceMiB);
  push('density.memory_reserved', fit.memoryReservedMiB);

  const workload = workloadSamples(spec, cell, random);
  for (const [metric, values] of Object.entries(workload.samples)) samples[metric] = values;

  push('isolation', faultBlastRadius(spec.kind, fit.instances));
  push('isolation.shared_kernel', sharesHostKernel(spec.kind) ? 1 : 0);

  const details = Object.keys(workload.details).length > 0 ? { details: workload.details } : {};
  const withNotes = variantNotes.length > 0 ? { notes: variantNotes } : {};
  if (!cell.storm) return { state: 'measured', samples, densityBinding: fit.binding, ...details, ...withNotes };
  const storm = stormMeasurement(spec, cell, cell.storm, fit.instances);
  const notes = [...variantNotes, ...(storm.notes ?? [])];
  return {
    state: 'measured',
    samples: { ...samples, ...storm.samples },
    densityBinding: fit.binding,
    details: { ...workload.details, ...storm.details },
    ...(notes.length > 0 ? { notes } : {}),
  };
}
