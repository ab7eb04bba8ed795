import { findImage } from '../../engines/images.js';
import { hashString } from '../../engines/shared/random.js';
import { replaceAtPath } from '../../engines/shared/replace-at-path.js';
import type { Cell, EngineOptions } from '../../engines/types.js';
import { findWorkload } from '../../engines/workloads.js';
import type { Scenario, ScenarioEngine } from '../scenario/load.js';

/**
 * The plan: a scenario expanded into cells, one engine at one sweep point each, in the canonical
 * order that every report keeps whichever thread runs a cell.
 */

export type SweepPoint = Readonly<Record<string, string | number | boolean>>;

/** The parts of a scenario that running its cells reads: plain data plus the engines. */
export type CellScenario = Pick<
  Scenario,
  | 'name'
  | 'hardware'
  | 'seed'
  | 'repetitions'
  | 'app'
  | 'workload'
  | 'density'
  | 'storm'
  | 'engines'
  | 'metrics'
  | 'sweep'
>;

/** One engine at one sweep point: the unit of work an executor schedules. */
export interface CellPlan {
  /** Position in the scenario's canonical order, which every report keeps. */
  readonly index: number;
  readonly engineIndex: number;
  readonly point: SweepPoint;
}

/** The cartesian product of the sweep grid, in the order its keys and values are written. */
export function sweepPoints(sweep: Scenario['sweep']): SweepPoint[] {
  let points: Record<string, string | number | boolean>[] = [{}];
  for (const [key, values] of Object.entries(sweep)) {
    points = points.flatMap((point) => values.map((value) => ({ ...point, [key]: value })));
  }
  return points;
}

/** Every cell of a scenario: sweep points in grid order, engines in scenario order within each. */
export function planCells(scenario: Pick<CellScenario, 'sweep' | 'engines'>): CellPlan[] {
  const plans: CellPlan[] = [];
  for (const point of sweepPoints(scenario.sweep)) {
    for (let engineIndex = 0; engineIndex < scenario.engines.length; engineIndex++) {
      plans.push({ index: plans.length, engineIndex, point });
    }
  }
  return plans;
}

/**
 * The cell an engine runs: the scenario's sections with the sweep point applied, and a seed that
 * depends only on the scenario seed, the engine and the point, so any schedule gives the same
 * numbers.
 */
export function buildCell(scenario: CellScenario, engine: ScenarioEngine, point: SweepPoint): Cell {
  let sections = {
    hardware: scenario.hardware,
    app: scenario.app,
    workload: scenario.workload,
    density: scenario.density,
    options: engine.options as EngineOptions,
    storm: scenario.storm,
  };
  // A swept workload id replaces the whole workload first; paths into it then apply on top.
  const entries = Object.entries(point).sort(([a], [b]) => Number(b === 'workload') - Number(a === 'workload'));
  for (const [key, value] of entries) {
    if (key === 'workload') {
      const named = findWorkload(String(value));
      if (!named) throw new Error(`workload ${String(value)} vanished after validation`);
      sections = { ...sections, workload: named.workload };
    } else sections = replaceAtPath(sections, key.split('.'), value);
  }
  const os = findImage(sections.options.image);
  if (!os) throw new Error(`image ${sections.options.image} vanished after validation`);
  const { storm, ...rest } = sections;
  return {
    scenario: scenario.name,
    ...rest,
    ...(storm ? { storm } : {}),
    os,
    repetitions: scenario.repetitions,
    metrics: scenario.metrics,
    seed: hashString(`${scenario.seed}|${engine.engine.id}|${JSON.stringify(point)}`),
  };
}
