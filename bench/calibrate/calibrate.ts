import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { BUILTIN_HARDWARE } from '../../engines/hardware/index.js';
import { BUILTIN_IMAGES } from '../../engines/images.js';
import { METRIC_FAMILIES } from '../../engines/metrics.js';
import { nativeTimes, OVERHEAD_DIMENSIONS } from '../../engines/model/overhead.js';
import type { ModeledEngine } from '../../engines/modeled/define.js';
import { engineIds, loadEngine } from '../../engines/registry.js';
import { currentEnvironment, type Environment } from '../../engines/shared/environment.js';
import { InputError } from '../../engines/shared/errors.js';
import { median } from '../../engines/shared/stats.js';
import type { Engine, Param } from '../../engines/types.js';
import { BUILTIN_WORKLOADS, findWorkload } from '../../engines/workloads.js';
import { buildCell } from '../run/plan.js';
import { runScenario } from '../run/run.js';
import { loadScenario, type Scenario, type ScenarioEngine } from '../scenario/load.js';
import {
  BENCHMARKS,
  type Benchmark,
  ENGINE_ALIASES,
  type Readout,
  ROW_READOUTS,
  ROW_SETUPS,
  type Setup,
} from './benchmarks.js';
import { gates, type PublishedRow } from './published.js';

/** One published row next to the model's value for it. */
export interface CalibrationRow {
  readonly id: string;
  readonly study: string;
  readonly benchmark: string;
  readonly engine: string;
  readonly unit: string;
  readonly verified: PublishedRow['verified'];
  /** The row this one is compared to as a ratio (the study's native or runc row), or undefined for an absolute comparison. */
  readonly baseline?: string;
  readonly published: number;
  /** The model's value in the row's unit: for a ratio row, the published baseline times the model's ratio. */
  readonly model?: number;
  readonly publishedRatio?: number;
  readonly modelRatio?: number;
  /** Relative error of the model against the publication, percent; undefined when the model has no value. */
  readonly errorPct?: number;
  /** Whether the row may fail the calibration: only rows read or derived from a source do. */
  readonly gated: boolean;
  /** Read or derived parameters whose source cites this row: the row helped set the model, rather than test it. */
  readonly setsParameters: readonly string[];
  /** Why the model has no value, when it has none. */
  readonly problem?: string;
}

/** Where the calibration scenarios live, relative to the package root. */
export const CALIBRATION_DIR = join('scenarios', 'calibration');

export async function calibrationScenarioFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new InputError({
      location: { file: dir },
      path: '',
      message: 'calibration scenario folder not found',
      hint: `virtbench ships its calibration scenarios in ${CALIBRATION_DIR}`,
    });
  }
  return names
    .filter((n) => ['.yaml', '.yml'].includes(extname(n)))
    .sort()
    .map((n) => join(dir, n));
}

/** The study a calibration scenario reproduces is its name. */
export function studyRows(scenario: Scenario, published: readonly PublishedRow[]): PublishedRow[] {
  const rows = published.filter((r) => r.study === scenario.name);
  if (rows.length === 0) {
    const studies = [...new Set(published.map((r) => r.study))];
    throw new InputError({
      location: { file: scenario.file },
      path: 'name',
      message: `no published rows for study "${scenario.name}"`,
      expected: `a calibration scenario named after a study: ${studies.join(', ')}`,
    });
  }
  return rows;
}

/** The native row of the same benchmark in the same study, else its runc row; the row itself has none. */
export function baselineOf(row: PublishedRow, rows: readonly PublishedRow[]): PublishedRow | undefined {
  for (const engine of ['native', 'runc']) {
    const base = rows.find((r) => r.benchmark === row.benchmark && r.engine === engine);
    if (base) return base.id === row.id ? undefined : base;
  }
  return undefined;
}

function setupFor(row: PublishedRow, benchmark: Benchmark): Setup {
  const common = benchmark.setup ?? {};
  const own = ROW_SETUPS[row.id] ?? {};
  return {
    app: { ...common.app, ...own.app },
    options: { ...common.options, ...own.options },
    hardware: own.hardware ?? common.hardware,
    storm: own.storm ?? common.storm,
  };
}

function engineEntry(scenario: Scenario, row: PublishedRow): ScenarioEngine {
  const id = ENGINE_ALIASES[row.study]?.[row.engine] ?? row.engine;
  const entry = scenario.engines.find((e) => e.engine.id === id);
  if (!entry) {
    throw new InputError({
      location: { file: scenario.file },
      path: 'engines',
      message: `published row ${row.id} measures engine "${row.engine}", which the scenario does not list`,
      expected: `an engine entry with id ${id}`,
    });
  }
  return entry;
}

/** How calibration runs its scenarios: on the run pipeline, with one environment record for all of them. */
export interface CalibrationRunOptions {
  readonly environment: Environment;
  readonly workers?: number;
  /**
   * Runs a row's experiment in place of the run pipeline and gives each metric's mean, or why it
   * could not: cross-validation runs the model with some parameters overridden this way.
   */
  readonly measure?: (variant: Scenario, row: PublishedRow) => MetricMeans | { readonly problem: string };
}

/** The mean of each metric one run of an experiment produced. */
export type MetricMeans = (metric: string) => number | undefined;

/** The run pipeline's means for an experiment. */
async function pipelineMeans(
  variant: Scenario,
  run: CalibrationRunOptions,
): Promise<MetricMeans | { problem: string }> {
  const { result } = await runScenario(variant, run);
  if (result.skipped.length > 0) return { problem: result.skipped.flatMap((s) => s.reasons).join('; ') };
  return (metric) => result.rows.find((r) => r.metric === metric)?.mean;
}

/** The model's figure for one published row: the study's scenario, set up as the row's experiment was. */
export async function modelValue(
  scenario: Scenario,
  row: PublishedRow,
  run: CalibrationRunOptions,
): Promise<{ value?: number; problem?: string; upperBound?: boolean }> {
  const benchmark = BENCHMARKS[row.benchmark];
  if (!benchmark) return { problem: `no model readout for benchmark ${row.benchmark}` };
  const readout: Readout = ROW_READOUTS[row.id] ?? benchmark.readouts?.[row.metric] ?? benchmark.readout;
  const setup = setupFor(row, benchmark);
  const profile = benchmark.workload === undefined ? undefined : findWorkload(benchmark.workload);
  if (benchmark.workload !== undefined && !profile) return { problem: `unknown workload ${benchmark.workload}` };
  const entry = engineEntry(scenario, row);
  const variant: Scenario = {
    ...scenario,
    name: `${scenario.name}.${row.id}`,
    hardware: setup.hardware ? setup.hardware(scenario.hardware) : scenario.hardware,
    app: { ...scenario.app, ...setup.app },
    workload: profile?.workload ?? scenario.workload,
    engines: [{ engine: entry.engine, options: { ...entry.options, ...setup.options } }],
    metrics: [...METRIC_FAMILIES],
    sweep: {},
    claims: [],
    ...(setup.storm ? { storm: setup.storm } : {}),
  };
  const mean = run.measure ? run.measure(variant, row) : await pipelineMeans(variant, run);
  if (typeof mean !== 'function') return { problem: mean.problem };

  switch (readout.kind) {
    case 'throughput':
    case 'latency': {
      const overhead = mean('overhead_total');
      if (overhead === undefined || !profile) return { problem: 'the run produced no overhead_total' };
      const native = nativeTimes(buildCell(variant, variant.engines[0]!, {}));
      const seconds = OVERHEAD_DIMENSIONS.reduce((sum, d) => sum + native[d], 0) * (1 + overhead / 100);
      const value =
        readout.kind === 'throughput'
          ? (profile.units / seconds) * readout.factor
          : (seconds / profile.units) * readout.factor;
      return { value };
    }
    case 'boot': {
      if (!readout.phases) return optional(mean('boot_time'), 'boot_time');
      let total = 0;
      for (const phase of readout.phases) {
        const ms = mean(`boot_time.${phase}`);
        if (ms === undefined) return { problem: `the engine has no boot phase ${phase}` };
        total += ms;
      }
      return { value: total };
    }
    case 'memory-per-instance': {
      const mib = mean('density.memory_per_instance');
      return mib === undefined ? { problem: 'no density.memory_per_instance' } : { value: mib * readout.factor };
    }
    case 'vmm-memory': {
      // What a VM reserves beyond its guest RAM is its VMM's own memory.
      const mib = mean('density.memory_reserved');
      const guest = variant.engines[0]!.options.memoryMiB;
      if (mib === undefined) return { problem: 'no density.memory_reserved' };
      return { value: mib - guest, ...(readout.upperBound ? { upperBound: true } : {}) };
    }
    case 'image': {
      const mib = mean(readout.metric);
      return mib === undefined ? { problem: `no ${readout.metric}` } : { value: mib * readout.factor };
    }
    case 'creation-rate':
      return optional(mean('boot_storm.rate_per_core'), 'boot_storm.rate_per_core');
    case 'storm':
      return optional(mean(readout.metric), readout.metric);
  }
}

function optional(value: number | undefined, metric: string): { value?: number; problem?: string } {
  return value === undefined ? { problem: `the run produced no ${metric}` } : { value };
}

/** A parameter, profile or figure that names its source, and whether that source pins its value. */
interface Citation {
  readonly label: string;
  readonly source: string;
}

/** Read or derived parameters, each once however many engines share it, labelled with every engine that uses it. */
function paramCitations(owners: readonly { owner: string; groups: Record<string, unknown> }[]): Citation[] {
  const byParam = new Map<Param, { owners: string[]; name: string }>();
  for (const { owner, groups } of owners) {
    for (const [group, params] of Object.entries(groups)) {
      if (typeof params !== 'object' || params === null) continue;
      for (const [name, p] of Object.entries(params as Record<string, Param>)) {
        if (!p || typeof p !== 'object' || !('source' in p) || (p.verified !== 'read' && p.verified !== 'derived'))
          continue;
        const entry = byParam.get(p) ?? { owners: [], name: group ? `${group}.${name}` : name };
        if (!entry.owners.includes(owner)) entry.owners.push(owner);
        byParam.set(p, entry);
      }
    }
  }
  return [...byParam].map(([p, { owners: names, name }]) => ({
    label: `${names.join('/')} ${name}`,
    source: p.source,
  }));
}

function isModeled(engine: Engine): engine is ModeledEngine {
  return engine.driver === 'model' && 'spec' in engine;
}

/** Everything in the model that names a published row as the origin of its value. */
export async function modelCitations(extraEngines: readonly Engine[] = []): Promise<Citation[]> {
  const engines = [...(await Promise.all(engineIds('model').map((id) => loadEngine(id)))), ...extraEngines];
  const owners: { owner: string; groups: Record<string, unknown> }[] = [];
  const seen = new Set<string>();
  for (const engine of engines) {
    if (!isModeled(engine) || seen.has(engine.id)) continue;
    seen.add(engine.id);
    const { boot, memory, costs, noise, storm, controlPlane, variants } = engine.spec;
    owners.push({
      owner: engine.id,
      groups: { boot, memory, costs, noise, ...(storm ? { storm } : {}), ...(controlPlane ? { controlPlane } : {}) },
    });
    // Options that change the mechanism (gVisor's platform, podman's runtime) carry parameters of their own.
    for (const [option, choices] of Object.entries(variants ?? {})) {
      for (const [value, variant] of Object.entries(choices.values)) {
        const { note: _note, ...groups } = variant as Record<string, unknown>;
        owners.push({ owner: `${engine.id} ${option}=${value}`, groups });
      }
    }
  }
  for (const image of BUILTIN_IMAGES) {
    const { id: _id, description: _description, ...params } = image;
    owners.push({ owner: `image ${image.id}`, groups: { '': params } });
  }
  const citations = paramCitations(owners);
  for (const hw of BUILTIN_HARDWARE) citations.push({ label: `hardware ${hw.id}`, source: hw.source });
  for (const w of BUILTIN_WORKLOADS)
    if (w.kind === 'micro') citations.push({ label: `workload ${w.id}`, source: w.source });
  return citations;
}

/** Whether a source names a published row id as a whole word, not inside a longer id. */
export function sourceCites(source: string, id: string): boolean {
  return new RegExp(`(?<![\\w-])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(source);
}

function citing(id: string, citations: readonly Citation[]): string[] {
  return citations.filter((c) => sourceCites(c.source, id)).map((c) => c.label);
}

/** Calibration rows for one study: every published row of it with the model's value and its error. */
export async function calibrateStudy(
  scenario: Scenario,
  published: readonly PublishedRow[],
  citations: readonly Citation[],
  run: CalibrationRunOptions = { environment: currentEnvironment() },
): Promise<CalibrationRow[]> {
  const rows = studyRows(scenario, published);
  const values = new Map<string, { value?: number; problem?: string; upperBound?: boolean }>();
  for (const row of rows) values.set(row.id, await modelValue(scenario, row, run));
  return rows.map((row) => {
    const base = baselineOf(row, rows);
    const { value, problem, upperBound } = values.get(row.id)!;
    const common = {
      id: row.id,
      study: row.study,
      benchmark: row.benchmark,
      engine: row.engine,
      unit: row.unit,
      verified: row.verified,
      published: row.value,
      gated: gates(row),
      setsParameters: citing(row.id, citations),
    };
    if (value === undefined)
      return { ...common, ...(base ? { baseline: base.id } : {}), problem: problem ?? 'no model value' };
    // A published upper bound is missed only by a model value above it.
    if (!base) {
      const within = upperBound === true && value <= row.value;
      return { ...common, model: value, errorPct: within ? 0 : (value / row.value - 1) * 100 };
    }
    const baseValue = values.get(base.id)?.value;
    if (baseValue === undefined)
      return { ...common, baseline: base.id, problem: `no model value for the baseline ${base.id}` };
    const publishedRatio = row.value / base.value;
    const modelRatio = value / baseValue;
    return {
      ...common,
      baseline: base.id,
      model: base.value * modelRatio,
      publishedRatio,
      modelRatio,
      errorPct: (modelRatio / publishedRatio - 1) * 100,
    };
  });
}

export interface CalibrationSummary {
  readonly rows: number;
  readonly gated: number;
  readonly medianAbsErrorPct: number;
  /** Median over gated rows that set no parameter: the model's out-of-sample error. */
  readonly medianAbsCheckErrorPct: number | undefined;
  readonly checks: number;
  readonly worst?: CalibrationRow;
  readonly failing: readonly CalibrationRow[];
}

/** A gated row fails when the model has no value for it or misses by more than the tolerance. */
export function summarize(rows: readonly CalibrationRow[], tolerancePct: number): CalibrationSummary {
  const gated = rows.filter((r) => r.gated);
  const failing = gated.filter((r) => r.errorPct === undefined || Math.abs(r.errorPct) > tolerancePct);
  const errors = gated.map((r) => (r.errorPct === undefined ? Infinity : Math.abs(r.errorPct)));
  const checks = gated.filter((r) => r.setsParameters.length === 0);
  let worst: CalibrationRow | undefined;
  for (const r of gated) {
    const e = r.errorPct === undefined ? Infinity : Math.abs(r.errorPct);
    if (!worst || e > (worst.errorPct === undefined ? Infinity : Math.abs(worst.errorPct))) worst = r;
  }
  return {
    rows: rows.length,
    gated: gated.length,
    medianAbsErrorPct: errors.length > 0 ? median(errors) : 0,
    medianAbsCheckErrorPct:
      checks.length > 0
        ? median(checks.map((r) => (r.errorPct === undefined ? Infinity : Math.abs(r.errorPct))))
        : undefined,
    checks: checks.length,
    worst,
    failing,
  };
}

export interface CalibrationRun {
  readonly studies: readonly { readonly study: string; readonly file: string }[];
  readonly rows: readonly CalibrationRow[];
}

/** Runs every calibration scenario in `dir` against the published rows. */
export async function calibrate(
  dir: string,
  published: readonly PublishedRow[],
  options: { readonly workers?: number } = {},
): Promise<CalibrationRun> {
  const files = await calibrationScenarioFiles(dir);
  const scenarios: Scenario[] = [];
  for (const file of files) scenarios.push(await loadScenario(file));
  const citations = await modelCitations(scenarios.flatMap((s) => s.engines.map((e) => e.engine)));
  const run: CalibrationRunOptions = { environment: currentEnvironment(), ...options };
  const rows: CalibrationRow[] = [];
  for (const scenario of scenarios) rows.push(...(await calibrateStudy(scenario, published, citations, run)));
  const covered = new Set(scenarios.map((s) => s.name));
  const uncovered = [...new Set(published.map((r) => r.study))].filter((s) => !covered.has(s));
  if (uncovered.length > 0) {
    throw new InputError({
      location: { file: dir },
      path: '',
      message: `no calibration scenario for ${uncovered.length === 1 ? 'study' : 'studies'} ${uncovered.join(', ')}`,
      hint: 'add one scenario per study, named after it',
    });
  }
  return { studies: scenarios.map((s) => ({ study: s.name, file: s.file })), rows };
}
