import { median } from '../../engines/shared/stats.js';

/**
 * Cross-validation of a calibrated model, independent of what the model is: rows with published
 * figures, parameters that cite the rows they were derived from, and a prediction for a row under
 * parameter overrides. Holding out a set of rows re-estimates every parameter that cites one of
 * them from the remaining rows that parameter moves, or falls back to a prior when none does, and
 * then predicts the held-out rows.
 */

/** A row to reproduce: its figure is a quantity the model predicts (a value, or a ratio to a baseline row). */
export interface FitRow {
  readonly id: string;
  readonly study: string;
  readonly benchmark: string;
  /** The published quantity the prediction is compared with. */
  readonly published: number;
  /** Whether the row may fit parameters and count in the summary (rows read or derived from a source). */
  readonly gated: boolean;
}

/** A model parameter that may be re-estimated. */
export interface FitParameter {
  readonly id: string;
  readonly value: number;
  /** Whether the parameter's source names the row. */
  readonly cites: (rowId: string) => boolean;
  /**
   * Whether a row the source names set this parameter only if the parameter moves it: a source that
   * names rows for a whole group of figures (a hardware profile) says which rows, not which figure.
   */
  readonly citedOnlyIfMoved?: boolean;
  /** Why the parameter is never fitted to rows' means, when it is not (run-to-run spread). */
  readonly notFitted?: string;
  /** Values to fall back on, nearest first: each tier a description and the parameters in it. */
  readonly priors: readonly { readonly from: string; readonly peers: readonly FitParameter[] }[];
  /** The largest magnitude this kind of parameter takes anywhere: the search spans decades around it. */
  readonly scale: number;
}

export type Overrides = ReadonlyMap<FitParameter, number>;

/** A model to cross-validate. */
export interface FitModel {
  readonly rows: readonly FitRow[];
  readonly parameters: readonly FitParameter[];
  /** The model's quantity for a row with some parameters overridden, or undefined when it has none. */
  predict(rowId: string, overrides: Overrides): Promise<number | undefined>;
  /** The parameters that can affect a row's prediction at all (a superset is fine; it only costs time). */
  reachable(rowId: string): ReadonlySet<FitParameter>;
}

/** Relative change of a parameter used to find the rows it moves. */
const PERTURBATION = 0.1;
/** A row moves when its log quantity changes by more than this for that perturbation (0.01%). */
const MOVE_THRESHOLD = 1e-4;
/** Grid of the one-dimensional search: 0, then scale x 10^-4 .. 10^2 at four points a decade. */
const GRID_DECADES_BELOW = 4;
const GRID_DECADES_ABOVE = 2;
const GRID_PER_DECADE = 4;
const GOLDEN_ITERATIONS = 25;
/** Coordinate-descent sweeps over the re-fitted parameters, at most. */
const MOST_SWEEPS = 3;

export interface RefitParameter {
  readonly id: string;
  readonly published: number;
  readonly fitted: number;
  /** The remaining rows that constrained it. */
  readonly rows: readonly string[];
}

export interface FallbackParameter {
  readonly id: string;
  readonly published: number;
  readonly fitted: number;
  /** Where the prior came from. */
  readonly prior: string;
}

export interface KeptParameter {
  readonly id: string;
  readonly value: number;
  readonly why: string;
}

export interface Fold {
  /** What was held out: a study, or study/benchmark. */
  readonly heldOut: string;
  readonly rows: readonly string[];
  readonly refitted: readonly RefitParameter[];
  readonly fellBack: readonly FallbackParameter[];
  readonly kept: readonly KeptParameter[];
  /** Out-of-sample prediction per held-out row; undefined when the model has none. */
  readonly predictions: ReadonlyMap<string, number | undefined>;
  /** Held-out rows whose prediction still rests on a kept parameter that cites them: not out of sample. */
  readonly inSample: ReadonlySet<string>;
}

/** Which rows each parameter moves, from one perturbation of each at the published values. */
export async function sensitivity(model: FitModel): Promise<Map<FitParameter, Set<string>>> {
  const empty: Overrides = new Map();
  const base = new Map<string, number | undefined>();
  for (const row of model.rows) base.set(row.id, await model.predict(row.id, empty));
  const moves = new Map<FitParameter, Set<string>>();
  for (const parameter of model.parameters) {
    const moved = new Set<string>();
    const perturbed = parameter.value === 0 ? parameter.scale * PERTURBATION : parameter.value * (1 + PERTURBATION);
    const overrides: Overrides = new Map([[parameter, perturbed]]);
    for (const row of model.rows) {
      const before = base.get(row.id);
      if (before === undefined || !model.reachable(row.id).has(parameter)) continue;
      const after = await model.predict(row.id, overrides);
      if (after === undefined || !(Math.abs(Math.log(after / before)) <= MOVE_THRESHOLD)) moved.add(row.id);
    }
    moves.set(parameter, moved);
  }
  return moves;
}

/** Log error of a prediction; infinite when there is none or it is not a positive number. */
function logError(predicted: number | undefined, published: number): number {
  if (predicted === undefined || !(predicted > 0) || !Number.isFinite(predicted)) return Infinity;
  return Math.log(predicted / published);
}

/** The value that minimizes the squared log error over `rows`, the others held at `overrides`. */
export async function fitOne(
  model: FitModel,
  parameter: FitParameter,
  rows: readonly FitRow[],
  overrides: Overrides,
  prior: number,
): Promise<number> {
  const loss = async (value: number): Promise<number> => {
    const trial = new Map(overrides);
    trial.set(parameter, value);
    let sum = 0;
    for (const row of rows) sum += logError(await model.predict(row.id, trial), row.published) ** 2;
    return Number.isNaN(sum) ? Infinity : sum;
  };
  const scale = parameter.scale > 0 ? parameter.scale : 1;
  const grid = [0];
  for (let k = -GRID_DECADES_BELOW * GRID_PER_DECADE; k <= GRID_DECADES_ABOVE * GRID_PER_DECADE; k++)
    grid.push(scale * 10 ** (k / GRID_PER_DECADE));
  const losses: number[] = [];
  for (const value of grid) losses.push(await loss(value));
  const least = Math.min(...losses);
  if (!Number.isFinite(least)) return prior;
  // Among equally good values (a flat loss), the one nearest the prior.
  const distance = (v: number) => Math.abs(Math.log((v || scale * 1e-9) / (prior || scale * 1e-9)));
  let best = -1;
  for (let i = 0; i < grid.length; i++) {
    if (losses[i]! > least * (1 + 1e-9) + 1e-15) continue;
    if (best < 0 || distance(grid[i]!) < distance(grid[best]!)) best = i;
  }
  // Golden-section refinement between the neighbours of the best grid point, in log space where
  // both are positive.
  const low = grid[Math.max(0, best - 1)]!;
  const high = grid[Math.min(grid.length - 1, best + 1)]!;
  const logScale = low > 0;
  const to = (x: number) => (logScale ? Math.exp(x) : x);
  let a = logScale ? Math.log(low) : low;
  let b = logScale ? Math.log(high) : high;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = await loss(to(c));
  let fd = await loss(to(d));
  for (let i = 0; i < GOLDEN_ITERATIONS; i++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = await loss(to(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = await loss(to(d));
    }
  }
  const refined = to((a + b) / 2);
  return (await loss(refined)) < losses[best]! ? refined : grid[best]!;
}

/** The prior of a parameter: the median of its nearest tier of peers that are not being re-fitted themselves. */
function priorOf(
  parameter: FitParameter,
  refitting: ReadonlySet<FitParameter>,
): { value: number; from: string } | undefined {
  for (const tier of parameter.priors) {
    const values = tier.peers.filter((p) => p !== parameter && !refitting.has(p)).map((p) => p.value);
    if (values.length > 0) return { value: median(values), from: `${tier.from} (median of ${values.length})` };
  }
  return undefined;
}

/** Re-estimates what the held-out rows set, from the rest, and predicts the held-out rows. */
export async function runFold(
  model: FitModel,
  moves: ReadonlyMap<FitParameter, ReadonlySet<string>>,
  heldOut: string,
  held: ReadonlySet<string>,
): Promise<Fold> {
  const setBy = (parameter: FitParameter): boolean =>
    [...held].some((id) => parameter.cites(id) && (!parameter.citedOnlyIfMoved || moves.get(parameter)?.has(id)));
  const cited = model.parameters.filter(setBy);
  const kept: KeptParameter[] = [];
  const refitting = new Set<FitParameter>();
  for (const parameter of cited) {
    if (parameter.notFitted) kept.push({ id: parameter.id, value: parameter.value, why: parameter.notFitted });
    else refitting.add(parameter);
  }
  const training = model.rows.filter((r) => r.gated && !held.has(r.id));
  const overrides = new Map<FitParameter, number>();
  const fellBack: FallbackParameter[] = [];
  const fitted: { parameter: FitParameter; rows: FitRow[]; prior: number }[] = [];
  const inSample = new Set<string>();
  for (const parameter of refitting) {
    const prior = priorOf(parameter, refitting);
    const rows = training.filter((r) => moves.get(parameter)?.has(r.id));
    if (rows.length > 0) {
      const start = prior?.value ?? parameter.value;
      overrides.set(parameter, start);
      fitted.push({ parameter, rows, prior: start });
    } else if (prior) {
      overrides.set(parameter, prior.value);
      fellBack.push({ id: parameter.id, published: parameter.value, fitted: prior.value, prior: prior.from });
    } else {
      kept.push({ id: parameter.id, value: parameter.value, why: 'no remaining row moves it and it has no prior' });
      for (const id of held) if (moves.get(parameter)?.has(id)) inSample.add(id);
    }
  }
  for (let sweep = 0; sweep < MOST_SWEEPS && fitted.length > 0; sweep++) {
    let change = 0;
    for (const { parameter, rows, prior } of fitted) {
      const before = overrides.get(parameter)!;
      const after = await fitOne(model, parameter, rows, overrides, prior);
      overrides.set(parameter, after);
      change = Math.max(change, Math.abs(after - before) / Math.max(Math.abs(before), Math.abs(after), 1e-300));
    }
    if (change < 1e-6) break;
  }
  const predictions = new Map<string, number | undefined>();
  for (const row of model.rows) if (held.has(row.id)) predictions.set(row.id, await model.predict(row.id, overrides));
  return {
    heldOut,
    rows: [...held],
    refitted: fitted.map(({ parameter, rows }) => ({
      id: parameter.id,
      published: parameter.value,
      fitted: overrides.get(parameter)!,
      rows: rows.map((r) => r.id),
    })),
    fellBack,
    kept,
    predictions,
    inSample,
  };
}

/** How rows are held out: one study at a time, or one benchmark of one study at a time. */
export const SCHEMES = ['study', 'benchmark'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** The held-out sets of a scheme, in the rows' order. */
export function holdOuts(rows: readonly FitRow[], scheme: Scheme): { name: string; rows: Set<string> }[] {
  const groups = new Map<string, Set<string>>();
  for (const row of rows) {
    const name = scheme === 'study' ? row.study : `${row.study}/${row.benchmark}`;
    const group = groups.get(name) ?? new Set<string>();
    group.add(row.id);
    groups.set(name, group);
  }
  return [...groups].map(([name, ids]) => ({ name, rows: ids }));
}

export interface SchemeResult {
  readonly scheme: Scheme;
  readonly folds: readonly Fold[];
  /** Each row's out-of-sample prediction under this scheme. */
  readonly predictions: ReadonlyMap<string, number | undefined>;
  readonly inSample: ReadonlySet<string>;
}

export async function crossValidateModel(
  model: FitModel,
  schemes: readonly Scheme[] = SCHEMES,
): Promise<SchemeResult[]> {
  const moves = await sensitivity(model);
  const results: SchemeResult[] = [];
  for (const scheme of schemes) {
    const folds: Fold[] = [];
    for (const { name, rows } of holdOuts(model.rows, scheme)) folds.push(await runFold(model, moves, name, rows));
    const predictions = new Map<string, number | undefined>();
    const inSample = new Set<string>();
    for (const fold of folds) {
      for (const [id, value] of fold.predictions) predictions.set(id, value);
      for (const id of fold.inSample) inSample.add(id);
    }
    results.push({ scheme, folds, predictions, inSample });
  }
  return results;
}
