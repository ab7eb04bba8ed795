import { BUILTIN_HARDWARE } from '../../engines/hardware/index.js';
import { BUILTIN_IMAGES } from '../../engines/images.js';
import { BOOT_GROUP_OF_KIND } from '../../engines/model/params.js';
import { type ModeledEngine, predict } from '../../engines/modeled/define.js';
import { overrideParams, paramsWithPaths } from '../../engines/modeled/override.js';
import { engineIds, loadEngine } from '../../engines/registry.js';
import { currentEnvironment } from '../../engines/shared/environment.js';
import { mean, median } from '../../engines/shared/stats.js';
import type { Engine, EngineKind, HardwareProfile, Param } from '../../engines/types.js';
import { buildCell } from '../run/plan.js';
import { loadScenario, type Scenario } from '../scenario/load.js';
import {
  baselineOf,
  type CalibrationRunOptions,
  calibrationScenarioFiles,
  modelValue,
  sourceCites,
  studyRows,
} from './calibrate.js';
import {
  crossValidateModel,
  type FitModel,
  type FitParameter,
  type FitRow,
  type Fold,
  type Overrides,
  SCHEMES,
  type Scheme,
} from './cross-validate-fit.js';
import { gates, type PublishedRow } from './published.js';

/**
 * `virtbench calibrate --cross-validate`: the calibration rows predicted out of sample. The
 * model's parameters (engine specs, OS images, the studies' hardware profiles) are the fit
 * parameters; each cites the rows it was derived from in its source, which is all this needs to
 * know, so rows and parameters added later take part with no change here.
 */

/** Parameter groups that describe run-to-run spread, which published means do not fix. */
const SPREAD_GROUPS = ['noise'];

/** One published row and its out-of-sample predictions. */
export interface CrossValidatedRow {
  readonly id: string;
  readonly study: string;
  readonly benchmark: string;
  readonly engine: string;
  readonly unit: string;
  readonly gated: boolean;
  readonly baseline?: string;
  readonly published: number;
  /** The model with every parameter as published, in the row's unit. */
  readonly inSample?: number;
  /** Per scheme: the prediction in the row's unit and its error, or why there is none. */
  readonly outOfSample: Readonly<Record<Scheme, RowPrediction>>;
}

export interface RowPrediction {
  readonly model?: number;
  readonly errorPct?: number;
  /** The prediction still rests on a parameter this row set, which nothing could replace. */
  readonly inSample?: boolean;
}

export interface CrossValidation {
  readonly rows: readonly CrossValidatedRow[];
  readonly folds: Readonly<Record<Scheme, readonly Fold[]>>;
  /** Parameters that cite at least one row: those a fold may re-estimate. */
  readonly parameters: number;
}

interface RowCase {
  readonly row: PublishedRow;
  readonly scenario: Scenario;
  readonly baseline?: PublishedRow;
}

function isModeled(engine: Engine): engine is ModeledEngine {
  return engine.driver === 'model' && 'spec' in engine;
}

/** Numeric fields of a hardware profile, by dotted path. */
function numericFields(value: unknown, path: readonly string[] = []): { path: string; value: number }[] {
  if (typeof value === 'number') return [{ path: path.join('.'), value }];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => numericFields(item, [...path, key]));
}

function setAtPath<T>(root: T, path: string, value: number): T {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const copy = { ...(root as Record<string, unknown>) };
  copy[head] = rest.length === 0 ? value : setAtPath(copy[head], rest.join('.'), value);
  return copy as T;
}

/** A fit parameter whose priors and scale are filled in once every parameter exists. */
type MutableParameter = Omit<FitParameter, 'priors' | 'scale'> & {
  priors: { from: string; peers: FitParameter[] }[];
  scale: number;
};

function parameter(
  id: string,
  value: number,
  fields: Pick<FitParameter, 'cites' | 'citedOnlyIfMoved' | 'notFitted'>,
): MutableParameter {
  return { id, value, priors: [], scale: 0, ...fields };
}

/** The model's parameters as fit parameters, and how to override them. */
async function modelParameters(scenarios: readonly Scenario[], published: readonly PublishedRow[]) {
  const citesAny = (source: string) => published.some((r) => sourceCites(source, r.id));

  // Engine parameters: each Param object once, however many engines share it.
  const engines: ModeledEngine[] = [];
  for (const engine of [
    ...(await Promise.all(engineIds('model').map((id) => loadEngine(id, 'model')))),
    ...scenarios.flatMap((s) => s.engines.map((e) => e.engine)),
  ]) {
    if (isModeled(engine) && !engines.some((e) => e.spec === engine.spec)) engines.push(engine);
  }
  const byParam = new Map<Param, { path: string; owners: ModeledEngine[] }>();
  for (const engine of engines) {
    const { id: _id, title: _title, kind: _kind, ...groups } = engine.spec;
    for (const { path, param } of paramsWithPaths(groups)) {
      const entry = byParam.get(param) ?? { path, owners: [] };
      if (!entry.owners.includes(engine)) entry.owners.push(engine);
      byParam.set(param, entry);
    }
  }
  const ofParam = new Map<Param, MutableParameter>();
  const enginePeers: { fit: MutableParameter; path: string; kinds: Set<EngineKind> }[] = [];
  for (const [param, { path, owners }] of byParam) {
    const spread = SPREAD_GROUPS.includes(path.split('.')[0]!);
    const fit = parameter(`${owners.map((o) => o.id).join('/')} ${path}`, param.value, {
      cites: (id) => sourceCites(param.source, id),
      ...(spread ? { notFitted: "run-to-run spread, which the rows' means do not fix" } : {}),
    });
    ofParam.set(param, fit);
    enginePeers.push({ fit, path, kinds: new Set(owners.map((o) => o.kind)) });
  }
  for (const { fit, path, kinds } of enginePeers) {
    const kind = [...kinds][0]!;
    const group = BOOT_GROUP_OF_KIND[kind];
    const samePath = enginePeers.filter((p) => p.path === path && p.fit !== fit);
    fit.priors.push(
      {
        from: `${path} of the other ${kind} engines`,
        peers: samePath.filter((p) => p.kinds.has(kind)).map((p) => p.fit),
      },
      {
        from: `${path} of the other ${group}-kind engines`,
        peers: samePath.filter((p) => [...p.kinds].some((k) => BOOT_GROUP_OF_KIND[k] === group)).map((p) => p.fit),
      },
      { from: `${path} of every other engine`, peers: samePath.map((p) => p.fit) },
    );
    fit.scale = Math.max(Math.abs(fit.value), ...samePath.map((p) => Math.abs(p.fit.value)));
  }

  // Image parameters.
  const imagePeers: { fit: MutableParameter; path: string }[] = [];
  for (const image of BUILTIN_IMAGES) {
    const { id: _id, description: _description, ...fields } = image;
    for (const { path, param } of paramsWithPaths(fields)) {
      if (ofParam.has(param)) continue;
      const fit = parameter(`image ${image.id} ${path}`, param.value, { cites: (id) => sourceCites(param.source, id) });
      ofParam.set(param, fit);
      imagePeers.push({ fit, path });
    }
  }
  for (const { fit, path } of imagePeers) {
    const others = imagePeers.filter((p) => p.path === path && p.fit !== fit);
    fit.priors.push({ from: `${path} of the other images`, peers: others.map((p) => p.fit) });
    fit.scale = Math.max(Math.abs(fit.value), ...others.map((p) => Math.abs(p.fit.value)));
  }

  // Hardware figures: a profile's source names the rows behind its figures as a group, so a row
  // sets a figure only if it also moves it.
  const profiles = new Map<string, HardwareProfile>();
  for (const hw of [...BUILTIN_HARDWARE, ...scenarios.map((s) => s.hardware)]) profiles.set(hw.id, hw);
  const hardwarePeers: { fit: MutableParameter; hardware: string; path: string }[] = [];
  for (const hw of profiles.values()) {
    for (const { path, value } of numericFields({
      cpu: hw.cpu,
      memory: hw.memory,
      storage: hw.storage,
      network: hw.network,
    })) {
      const fit = parameter(`hardware ${hw.id} ${path}`, value, {
        cites: (id) => sourceCites(hw.source, id),
        citedOnlyIfMoved: true,
      });
      hardwarePeers.push({ fit, hardware: hw.id, path });
    }
  }
  for (const { fit, hardware, path } of hardwarePeers) {
    const others = hardwarePeers.filter((p) => p.path === path && p.hardware !== hardware);
    fit.priors.push({ from: `${path} of the other hardware profiles`, peers: others.map((p) => p.fit) });
    fit.scale = Math.max(Math.abs(fit.value), ...others.map((p) => Math.abs(p.fit.value)));
  }

  const used = new Set(scenarios.map((s) => s.hardware.id));
  const candidates: FitParameter[] = [
    ...[...ofParam].filter(([param]) => citesAny(param.source)).map(([, fit]) => fit),
    ...hardwarePeers
      .filter((h) => used.has(h.hardware) && citesAny(profiles.get(h.hardware)!.source))
      .map((h) => h.fit),
  ];
  return { ofParam, hardwarePeers, candidates };
}

/** Loads every calibration scenario in `dir` with the rows of its study. */
async function rowCases(
  dir: string,
  published: readonly PublishedRow[],
): Promise<{ cases: RowCase[]; scenarios: Scenario[] }> {
  const scenarios: Scenario[] = [];
  for (const file of await calibrationScenarioFiles(dir)) scenarios.push(await loadScenario(file));
  const cases: RowCase[] = [];
  for (const scenario of scenarios) {
    const rows = studyRows(scenario, published);
    for (const row of rows) {
      const baseline = baselineOf(row, rows);
      cases.push({ row, scenario, ...(baseline ? { baseline } : {}) });
    }
  }
  return { cases, scenarios };
}

/** Cross-validates the calibration in `dir` against the published rows. */
export async function crossValidate(dir: string, published: readonly PublishedRow[]): Promise<CrossValidation> {
  const { cases, scenarios } = await rowCases(dir, published);
  const { ofParam, hardwarePeers, candidates } = await modelParameters(scenarios, published);
  const caseOf = new Map(cases.map((c) => [c.row.id, c]));
  const environment = currentEnvironment();

  // What each row's own prediction can reach, recorded the first time it runs.
  const reach = new Map<string, Set<FitParameter>>();
  const cache = new Map<string, { value?: number; problem?: string }>();

  const rowValue = async (row: PublishedRow, scenario: Scenario, overrides: Overrides) => {
    const reachable = reach.get(row.id);
    const key =
      reachable === undefined
        ? undefined
        : `${row.id}|${[...overrides]
            .filter(([p]) => reachable.has(p))
            .map(([p, v]) => `${p.id}=${v}`)
            .sort()
            .join(',')}`;
    if (key !== undefined && cache.has(key)) return cache.get(key)!;
    const params = new Map<Param, number>();
    for (const [param, fit] of ofParam) {
      const value = overrides.get(fit);
      if (value !== undefined) params.set(param, value);
    }
    let hardware = scenario.hardware;
    for (const h of hardwarePeers) {
      const value = overrides.get(h.fit);
      if (value !== undefined && h.hardware === hardware.id) hardware = setAtPath(hardware, h.path, value);
    }
    const run: CalibrationRunOptions = {
      environment,
      measure: (variant) => {
        const entry = variant.engines[0]!;
        if (!isModeled(entry.engine)) return { problem: `${entry.engine.id} is not a modeled engine` };
        const cell = buildCell(variant, entry, {});
        if (!reach.has(row.id)) {
          const found = new Set<FitParameter>();
          for (const { param } of [...paramsWithPaths(entry.engine.spec), ...paramsWithPaths(cell.os)]) {
            const fit = ofParam.get(param);
            if (fit) found.add(fit);
          }
          for (const h of hardwarePeers) if (h.hardware === scenario.hardware.id) found.add(h.fit);
          reach.set(row.id, found);
        }
        const measured = predict(overrideParams(entry.engine.spec, params), {
          ...cell,
          os: overrideParams(cell.os, params),
        });
        if (measured.state === 'unsuitable') return { problem: measured.reasons.join('; ') };
        return (metric) => {
          const samples = measured.samples[metric];
          return samples && samples.length > 0 ? mean(samples) : undefined;
        };
      },
    };
    const result = await modelValue({ ...scenario, hardware }, row, run);
    if (key !== undefined) cache.set(key, result);
    else if (overrides.size === 0) cache.set(`${row.id}|`, result);
    return result;
  };

  const quantity = async (id: string, overrides: Overrides): Promise<number | undefined> => {
    const { row, scenario, baseline } = caseOf.get(id)!;
    const value = (await rowValue(row, scenario, overrides)).value;
    if (!baseline || value === undefined) return value;
    const base = (await rowValue(baseline, scenario, overrides)).value;
    return base === undefined ? undefined : value / base;
  };

  const rows: FitRow[] = cases.map(({ row, baseline }) => ({
    id: row.id,
    study: row.study,
    benchmark: row.benchmark,
    published: baseline ? row.value / baseline.value : row.value,
    gated: gates(row),
  }));
  const model: FitModel = {
    rows,
    parameters: candidates,
    predict: quantity,
    reachable: (id) => {
      const { baseline } = caseOf.get(id)!;
      return new Set([...(reach.get(id) ?? []), ...(baseline ? (reach.get(baseline.id) ?? []) : [])]);
    },
  };
  // Every row once as published, which also records what each can reach.
  const inSample = new Map<string, number | undefined>();
  for (const { row } of cases) inSample.set(row.id, await quantity(row.id, new Map()));
  const results = await crossValidateModel(model, SCHEMES);

  const inRowUnit = ({ baseline }: RowCase, q: number | undefined) =>
    q === undefined ? undefined : baseline ? q * baseline.value : q;
  const out: CrossValidatedRow[] = cases.map((c) => {
    const fitRow = rows.find((r) => r.id === c.row.id)!;
    const outOfSample = Object.fromEntries(
      results.map((result) => {
        const q = result.predictions.get(c.row.id);
        const prediction: RowPrediction = {
          ...(q === undefined ? {} : { model: inRowUnit(c, q), errorPct: (q / fitRow.published - 1) * 100 }),
          ...(result.inSample.has(c.row.id) ? { inSample: true } : {}),
        };
        return [result.scheme, prediction];
      }),
    ) as Record<Scheme, RowPrediction>;
    const own = inSample.get(c.row.id);
    return {
      id: c.row.id,
      study: c.row.study,
      benchmark: c.row.benchmark,
      engine: c.row.engine,
      unit: c.row.unit,
      gated: fitRow.gated,
      ...(c.baseline ? { baseline: c.baseline.id } : {}),
      published: c.row.value,
      ...(own === undefined ? {} : { inSample: inRowUnit(c, own) }),
      outOfSample,
    };
  });
  const folds = Object.fromEntries(results.map((r) => [r.scheme, r.folds])) as Record<Scheme, readonly Fold[]>;
  return { rows: out, folds, parameters: candidates.length };
}

export interface SchemeSummary {
  readonly scheme: Scheme;
  /** Gated rows with an out-of-sample prediction (rows still in sample are left out and counted). */
  readonly rows: number;
  readonly inSample: number;
  readonly medianAbsErrorPct: number;
  readonly worst?: CrossValidatedRow;
  /** Rows off by more than the factor, or with no prediction. */
  readonly failing: readonly CrossValidatedRow[];
  readonly passed: boolean;
}

export interface CrossValidationLimits {
  /** Largest median |error|, percent. */
  readonly medianPct: number;
  /** Largest factor any row may be off by, either way. */
  readonly maxFactor: number;
}

/** The factor a prediction is off by, either way: 1 when exact, infinite when there is none. */
export function offByFactor(prediction: RowPrediction): number {
  if (prediction.errorPct === undefined) return Infinity;
  const ratio = 1 + prediction.errorPct / 100;
  return ratio > 0 ? Math.max(ratio, 1 / ratio) : Infinity;
}

export function summarizeScheme(
  rows: readonly CrossValidatedRow[],
  scheme: Scheme,
  limits: CrossValidationLimits,
): SchemeSummary {
  const gated = rows.filter((r) => r.gated);
  const scored = gated.filter((r) => !r.outOfSample[scheme].inSample);
  const errors = scored.map((r) => Math.abs(r.outOfSample[scheme].errorPct ?? Infinity));
  const failing = scored.filter((r) => offByFactor(r.outOfSample[scheme]) > limits.maxFactor);
  let worst: CrossValidatedRow | undefined;
  for (const r of scored)
    if (!worst || offByFactor(r.outOfSample[scheme]) > offByFactor(worst.outOfSample[scheme])) worst = r;
  const medianAbsErrorPct = errors.length > 0 ? median(errors) : 0;
  return {
    scheme,
    rows: scored.length,
    inSample: gated.length - scored.length,
    medianAbsErrorPct,
    ...(worst ? { worst } : {}),
    failing,
    passed: failing.length === 0 && medianAbsErrorPct <= limits.medianPct,
  };
}
