import { findImage } from '../../engines/images.js';
import { currentEnvironment, type Environment } from '../../engines/shared/environment.js';
import { hashString } from '../../engines/shared/random.js';
import { replaceAtPath } from '../../engines/shared/replace-at-path.js';
import type { Cell, EngineOptions } from '../../engines/types.js';
import { type ResultRow, rowsFromMeasurement } from '../report/metrics.js';
import {
  type ClaimResult,
  type EngineSummary,
  RESULT_SCHEMA_VERSION,
  type RunResult,
  type SkippedCell,
} from '../report/results.js';
import type { Scenario, ScenarioEngine } from '../scenario/load.js';
import { evaluateClaim } from './claims.js';

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

/** One engine at one sweep point: the unit of work the runner schedules. */
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
  for (const [key, value] of Object.entries(point)) {
    sections = replaceAtPath(sections, key.split('.'), value);
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

export interface CellOutcome {
  readonly plan: CellPlan;
  readonly rows: readonly ResultRow[];
  readonly skipped?: SkippedCell;
  readonly notes: readonly string[];
}

/** Runs one cell and summarizes it into rows. */
export async function runCell(scenario: CellScenario, plan: CellPlan): Promise<CellOutcome> {
  const entry = scenario.engines[plan.engineIndex]!;
  const cell = buildCell(scenario, entry, plan.point);
  const measurement = await entry.engine.measure(cell);
  if (measurement.unsuitable && measurement.unsuitable.length > 0) {
    return {
      plan,
      rows: [],
      skipped: { engine: entry.engine.id, params: plan.point, reasons: measurement.unsuitable },
      notes: [],
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
  return { plan, rows, notes: (measurement.notes ?? []).map((note) => `${entry.engine.id}: ${note}`) };
}

export interface RunOptions {
  /** Which cells to run; all of them by default. Sharding passes a subset. */
  readonly cells?: readonly CellPlan[];
  readonly onCellDone?: (outcome: CellOutcome, done: number, total: number) => void;
  readonly environment?: Environment;
}

export function engineSummaries(scenario: Scenario): EngineSummary[] {
  return scenario.engines.map(({ engine }) => ({
    id: engine.id,
    title: engine.title,
    kind: engine.kind,
    driver: engine.driver,
    ...(engine.modeledCounterpart ? { modeledCounterpart: engine.modeledCounterpart } : {}),
  }));
}

/** Runs a scenario's cells one after another and assembles the result. */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const cells = options.cells ?? planCells(scenario);
  const outcomes: CellOutcome[] = [];
  for (const plan of cells) {
    const outcome = await runCell(scenario, plan);
    outcomes.push(outcome);
    options.onCellDone?.(outcome, outcomes.length, cells.length);
  }
  return assembleResult(scenario, outcomes, options.environment ?? currentEnvironment());
}

/** Puts cell outcomes in canonical order and evaluates the claims; independent of how cells ran. */
export function assembleResult(
  scenario: Scenario,
  outcomes: readonly CellOutcome[],
  environment: Environment,
): RunResult {
  const ordered = [...outcomes].sort((a, b) => a.plan.index - b.plan.index);
  const rows = ordered.flatMap((o) => o.rows);
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
    skipped: ordered.flatMap((o) => (o.skipped ? [o.skipped] : [])),
    notes: ordered.flatMap((o) => o.notes),
    claims: evaluateClaims(scenario, rows, engines),
  };
}

/** A claim holds when it holds at every sweep point; the evidence names the point when there are several. */
export function evaluateClaims(
  scenario: Scenario,
  rows: readonly ResultRow[],
  engines: readonly EngineSummary[],
): ClaimResult[] {
  const points = sweepPoints(scenario.sweep);
  // Grouped once, so a claim over a large grid costs one pass over the rows, not one per point.
  const rowsByPoint = new Map<string, ResultRow[]>();
  for (const row of rows) {
    const key = JSON.stringify(row.params);
    const group = rowsByPoint.get(key);
    if (group) group.push(row);
    else rowsByPoint.set(key, [row]);
  }
  return scenario.claims.map((claim) => {
    const perPoint = points.map((point) => {
      const key = JSON.stringify(point);
      const pointRows = rowsByPoint.get(key) ?? [];
      return { point, result: evaluateClaim(claim, pointRows, engines) };
    });
    const applicable = perPoint.filter((p) => p.result.holds !== null);
    const holds = applicable.length === 0 ? null : applicable.every((p) => p.result.holds);
    const evidence = perPoint.flatMap(({ point, result }) => {
      const label =
        Object.keys(point).length > 0
          ? `[${Object.entries(point)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}] `
          : '';
      return result.evidence.map((line) => label + line);
    });
    return { id: claim.id, text: claim.text, holds, evidence };
  });
}
