import { InputError, type InputProblem } from '../../engines/shared/errors.js';
import { yieldForStop } from '../../engines/shared/stop.js';
import type { ResultRow } from '../report/metrics.js';
import type { RunResult } from '../report/results.js';
import { didYouMean } from '../scenario/suggest.js';
import { bandStatValue, resolveBand, withinBand } from './bands.js';
import { formatChange, isWorse, relativeChange } from './change.js';
import type { AbSettings, CheckSpec, GatePlan } from './config.js';
import { adjustPValues, type Correction } from './correction.js';
import { compareEnvironments, type EnvironmentComparison } from './environment.js';
import {
  bootstrapSteps,
  comparisonSeed,
  MIN_RESAMPLES,
  permutationSteps,
  runToEnd,
  smallestAttainablePValue,
  statisticOf,
} from './resampling.js';

/** One check on one engine at one sweep point, decided. */
export interface CheckResult {
  readonly spec: CheckSpec;
  readonly engine: string;
  readonly metric: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly unit: string;
  readonly type: 'ab' | 'band';
  /** The statistic compared: mean or median for A/B checks, the band's statistic for bands. */
  readonly stat: string;
  readonly baseline?: number;
  readonly current?: number;
  readonly changePercent?: number;
  /** Raw permutation p-value; absent for bands. */
  readonly pValue?: number;
  /** p-value after the gate's multiple-comparison correction; what α is compared with. */
  readonly adjustedP?: number;
  /** Both samples are constant (deterministic metrics): the change is known exactly, no test needed. */
  readonly exact: boolean;
  /** Bootstrap confidence interval of the change, in percent. */
  readonly interval?: readonly [number, number];
  /** The rule the check applies, as a table shows it. */
  readonly threshold: string;
  readonly passed: boolean;
  /** Why it passed or failed, in words. */
  readonly verdict: string;
}

export interface GateReport {
  readonly baseline: RunResult;
  readonly current: RunResult;
  readonly baselineLabel: string;
  readonly currentLabel: string;
  readonly checks: readonly CheckResult[];
  readonly correction: Correction;
  /** Permutation resamples actually drawn: at least the plan's, more when many checks share α. */
  readonly resamples: number;
  readonly seed: number;
  /** A/B checks whose p-values the correction adjusts together. */
  readonly familySize: number;
  readonly confidence: number;
  readonly source: string;
  readonly environment: EnvironmentComparison;
  readonly warnings: readonly string[];
}

export function gatePassed(report: GateReport): boolean {
  return report.checks.every((check) => check.passed);
}

type Params = Readonly<Record<string, string | number | boolean>>;

function rowKey(engine: string, metric: string, params: Params): string {
  return `${engine}\u0000${metric}\u0000${JSON.stringify(params)}`;
}

export function pointLabel(params: Params): string {
  const entries = Object.entries(params);
  return entries.length === 0 ? '' : entries.map(([k, v]) => `${k}=${String(v)}`).join(' ');
}

interface Planned {
  readonly spec: CheckSpec;
  readonly engine: string;
  readonly metric: string;
  readonly params: Params;
  readonly baseline?: ResultRow;
  readonly current?: ResultRow;
}

function isConstant(samples: readonly number[]): boolean {
  return samples.every((v) => v === samples[0]);
}

/** Expands configured checks over the engines, metrics and sweep points the results hold. */
function expand(plan: GatePlan, baseline: RunResult, current: RunResult): Planned[] {
  const baseRows = new Map(baseline.rows.map((row) => [rowKey(row.engine, row.metric, row.params), row]));
  const currentRows = new Map(current.rows.map((row) => [rowKey(row.engine, row.metric, row.params), row]));
  const knownEngines = [...new Set([...baseline.engines, ...current.engines].map((e) => e.id))];
  const problems: InputProblem[] = [];
  const planned: Planned[] = [];
  for (const spec of plan.checks) {
    for (const engine of spec.engines ?? []) {
      if (!knownEngines.includes(engine)) {
        problems.push({
          location: spec.origin,
          path: spec.path,
          message: `engine "${engine}" is in neither result`,
          expected: `one of ${knownEngines.join(', ')}`,
          hint: didYouMean(engine, knownEngines) ?? 'check the engine ids of the scenario',
        });
      }
    }
    const selected = (row: ResultRow): boolean =>
      (spec.metric === '*' || row.metric === spec.metric) &&
      (!spec.engines || spec.engines.includes(row.engine)) &&
      (!spec.kinds || spec.kinds.includes(row.kind));
    // A/B checks need both sides, so they follow the baseline; a band judges the current run alone.
    const keys = new Set<string>();
    for (const row of baseline.rows) if (selected(row)) keys.add(rowKey(row.engine, row.metric, row.params));
    if (spec.test.type === 'band')
      for (const row of current.rows) if (selected(row)) keys.add(rowKey(row.engine, row.metric, row.params));
    if (keys.size === 0 && spec.explicit) {
      problems.push({
        location: spec.origin,
        path: spec.path,
        message: `check on ${spec.metric}${spec.engines ? ` for ${spec.engines.join(', ')}` : ''}${spec.kinds ? ` for kinds ${spec.kinds.join(', ')}` : ''} matches no result row`,
        hint: 'the metric must be one the scenario measures for those engines (its `metrics:` families)',
      });
    }
    for (const key of keys) {
      const base = baseRows.get(key);
      const cur = currentRows.get(key);
      const any = (base ?? cur)!;
      planned.push({ spec, engine: any.engine, metric: any.metric, params: any.params, baseline: base, current: cur });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return planned;
}

function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}

function abThreshold(settings: AbSettings, metric: string): string {
  const sign = settings.direction === 'either' ? '±' : isWorse(metric, 1) ? '+' : '-';
  return `α ${settings.alpha}, ${sign}${settings.threshold}%`;
}

function missingVerdict(current: RunResult, planned: Planned): string {
  const skipped = current.skipped.find(
    (s) => s.engine === planned.engine && JSON.stringify(s.params) === JSON.stringify(planned.params),
  );
  if (skipped) return `not in the current run: ${skipped.reasons.join('; ')}`;
  return planned.current ? 'not in the baseline' : 'not in the current run';
}

export interface EvaluateOptions {
  readonly baselineLabel?: string;
  readonly currentLabel?: string;
  /** Compute a bootstrap interval of each change (compare shows it; a gate does not need it). */
  readonly interval?: boolean;
  /** Confidence of that interval. */
  readonly confidence?: number;
}

/**
 * Decides every check. An A/B check fails only when its change is significant after the gate's
 * correction, larger than its noise threshold, and (unless direction is "either") for the worse.
 */
export function evaluateGate(
  baseline: RunResult,
  current: RunResult,
  plan: GatePlan,
  options: EvaluateOptions = {},
): GateReport {
  return runToEnd(evaluationSteps(baseline, current, plan, options));
}

/** How far an evaluation is: resampled checks done, of all that need resampling. */
export interface EvaluationProgress {
  readonly done: number;
  readonly total: number;
}

/** How long an evaluation computes before it lets the event loop run (signals, progress). */
const COMPUTE_SLICE_MS = 25;

/**
 * `evaluateGate` for a command: every few milliseconds it lets the event loop run, so Ctrl-C or
 * SIGTERM stops it promptly (an InterruptedError), and reports its progress. A gate on large
 * results can resample for minutes.
 */
export async function evaluateGateInterruptibly(
  baseline: RunResult,
  current: RunResult,
  plan: GatePlan,
  options: EvaluateOptions & { readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<GateReport> {
  const steps = evaluationSteps(baseline, current, plan, options);
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart < COMPUTE_SLICE_MS) continue;
    options.onProgress?.(next.value.done, next.value.total);
    await yieldForStop();
    sliceStart = performance.now();
  }
}

/** Passes on a resampling's pauses, as progress of the whole evaluation. */
function* reporting<T>(steps: Generator<void, T>, progress: EvaluationProgress): Generator<EvaluationProgress, T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    yield progress;
  }
}

/** Zero checks is a gate that cannot fail: bad input, never a pass. */
function nothingToCheck(plan: GatePlan, baseline: RunResult, options: EvaluateOptions): InputError {
  const file = options.baselineLabel ?? 'baseline';
  if (plan.checks.length === 0)
    return new InputError({
      location: { file: 'command line' },
      path: '--metrics',
      message: 'no checks to run: the metric list is empty, so the gate would check nothing',
      hint: 'name metrics (--metrics boot_time,density, or --metrics all), add --band, or drop --metrics to use the gates: block',
    });
  return new InputError({
    location: { file },
    path: 'rows',
    message: `no checks to run: the checks match none of the baseline's ${baseline.rows.length} rows, so the gate would check nothing`,
    hint:
      baseline.rows.length === 0
        ? 'the baseline has no rows: make it again with `virtbench baseline update`'
        : 'check the metrics and engines of the checks against the baseline (`virtbench list metrics`)',
  });
}

function* evaluationSteps(
  baseline: RunResult,
  current: RunResult,
  plan: GatePlan,
  options: EvaluateOptions,
): Generator<EvaluationProgress, GateReport> {
  const planned = expand(plan, baseline, current);
  if (planned.length === 0) throw nothingToCheck(plan, baseline, options);
  const confidence = options.confidence ?? 0.95;
  const warnings: string[] = [];
  const unchecked = current.engines.filter((e) => !baseline.engines.some((b) => b.id === e.id)).map((e) => e.id);
  if (unchecked.length > 0)
    warnings.push(
      `not in the baseline, so nothing checks them: ${unchecked.join(', ')}; update the baseline to gate them`,
    );
  for (const [label, result] of [
    ['baseline', baseline],
    ['current', current],
  ] as const) {
    if (result.repetitions < 2)
      warnings.push(`${label} has 1 repetition: noisy metrics have a single sample and are compared as if exact`);
  }

  const tested = planned.filter(
    (p) =>
      p.spec.test.type === 'ab' &&
      p.baseline &&
      p.current &&
      !(isConstant(p.baseline.samples) && isConstant(p.current.samples)),
  );
  const familySize = plan.correction === 'none' ? 1 : tested.length;
  const smallestAlpha = Math.min(...tested.map((p) => (p.spec.test as { settings: AbSettings }).settings.alpha), 1);
  // Holm and BH compare the smallest p-value with α/m, and a Monte Carlo p-value is at least
  // 1/(resamples + 1): draw enough resamples that a clear change can still reach significance.
  const resamples = Math.max(plan.resamples, Math.ceil((5 * familySize) / smallestAlpha) - 1);

  const pValues = new Map<Planned, { pValue: number; interval?: [number, number] }>();
  const underpowered = new Map<string, string[]>();
  const underpoweredCount = new Map<string, number>();
  for (const [done, p] of tested.entries()) {
    const progress = { done, total: tested.length };
    const settings = (p.spec.test as { settings: AbSettings }).settings;
    const seed = comparisonSeed(plan.seed, rowKey(p.engine, p.metric, p.params) + settings.statistic);
    const outcome = yield* reporting(
      permutationSteps(p.baseline!.samples, p.current!.samples, {
        statistic: settings.statistic,
        resamples,
        seed,
      }),
      progress,
    );
    const interval = options.interval
      ? yield* reporting(
          bootstrapSteps(
            p.baseline!.samples,
            p.current!.samples,
            { statistic: settings.statistic, resamples: MIN_RESAMPLES, seed: seed ^ 0x5bd1e995, confidence },
            (a, b) => relativeChange(p.metric, a, b),
          ),
          progress,
        )
      : undefined;
    yield { done: done + 1, total: tested.length };
    pValues.set(p, { pValue: outcome.pValue, interval });
    const sizes = `${p.baseline!.samples.length} and ${p.current!.samples.length}`;
    if (smallestAttainablePValue(p.baseline!.samples.length, p.current!.samples.length) > settings.alpha / familySize) {
      const names = underpowered.get(sizes) ?? [];
      if (!names.includes(`${p.engine} ${p.metric}`)) names.push(`${p.engine} ${p.metric}`);
      underpowered.set(sizes, names);
      underpoweredCount.set(sizes, (underpoweredCount.get(sizes) ?? 0) + 1);
    }
  }
  for (const [sizes, names] of underpowered) {
    const [na, nb] = sizes.split(' and ').map(Number) as [number, number];
    const count = underpoweredCount.get(sizes)!;
    warnings.push(
      `${count} A/B check${count === 1 ? '' : 's'} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}) ` +
        `cannot fail: ${sizes} samples give p ≥ ${formatP(smallestAttainablePValue(na, nb))}, above α over ${familySize} tests; raise repetitions`,
    );
  }
  const adjusted = adjustPValues(
    tested.map((p) => pValues.get(p)!.pValue),
    plan.correction,
  );
  const adjustedOf = new Map(tested.map((p, i) => [p, adjusted[i]!]));

  const checks = planned.map((p): CheckResult => {
    const common = {
      spec: p.spec,
      engine: p.engine,
      metric: p.metric,
      params: p.params,
      unit: (p.baseline ?? p.current)!.unit,
    };
    if (p.spec.test.type === 'band') {
      const band = p.spec.test.band;
      const label = band.stat === 'cov' ? 'CoV' : band.stat;
      const baseValue = p.baseline ? bandStatValue(p.baseline, band.stat) : undefined;
      const resolved = resolveBand(band, baseValue);
      const bandCheck = { ...common, type: 'band' as const, stat: label, baseline: baseValue };
      if ('error' in resolved)
        return { ...bandCheck, exact: false, threshold: 'band', passed: false, verdict: resolved.error };
      if (!p.current)
        return {
          ...bandCheck,
          exact: false,
          threshold: resolved.text,
          passed: false,
          verdict: missingVerdict(current, p),
        };
      const value = bandStatValue(p.current, band.stat);
      const inside = withinBand(value, resolved);
      return {
        ...bandCheck,
        current: value,
        changePercent:
          baseValue === undefined
            ? undefined
            : relativeChange(band.stat === 'cov' ? 'cov' : p.metric, baseValue, value),
        exact: false,
        threshold: resolved.text,
        passed: inside,
        verdict: inside ? 'within the band' : value > resolved.high ? 'above the band' : 'below the band',
      };
    }

    const settings = p.spec.test.settings;
    const threshold = abThreshold(settings, p.metric);
    if (!p.baseline || !p.current) {
      return {
        ...common,
        type: 'ab',
        stat: settings.statistic,
        baseline: p.baseline && statisticOf(p.baseline.samples, settings.statistic),
        exact: false,
        threshold,
        passed: false,
        verdict: missingVerdict(current, p),
      };
    }
    const base = statisticOf(p.baseline.samples, settings.statistic);
    const cur = statisticOf(p.current.samples, settings.statistic);
    const change = relativeChange(p.metric, base, cur);
    const tested = pValues.get(p);
    const exact = tested === undefined;
    const pValue = exact ? (base === cur ? 1 : 0) : tested.pValue;
    const adjustedP = exact ? pValue : adjustedOf.get(p)!;
    const significant = adjustedP <= settings.alpha;
    const large = Math.abs(change) > settings.threshold;
    const worse = settings.direction === 'either' || isWorse(p.metric, change);
    const passed = !(significant && large && worse);
    let verdict: string;
    if (!large) verdict = `within the ${settings.threshold}% noise threshold`;
    else if (!significant)
      verdict = `${formatChange(change)} is not significant (p ${formatP(adjustedP)} > α ${settings.alpha})`;
    else if (!worse) verdict = `improved by ${formatChange(change)}: update the baseline to keep the gain`;
    else
      verdict = `${formatChange(change)} beyond ${settings.threshold}% and ${exact ? 'exact (no noise)' : `significant (p ${formatP(adjustedP)} ≤ α ${settings.alpha})`}`;
    return {
      ...common,
      type: 'ab',
      stat: settings.statistic,
      baseline: base,
      current: cur,
      changePercent: change,
      pValue,
      adjustedP,
      exact,
      interval: exact ? [change, change] : tested.interval,
      threshold,
      passed,
      verdict,
    };
  });

  return {
    baseline,
    current,
    baselineLabel: options.baselineLabel ?? 'baseline',
    currentLabel: options.currentLabel ?? 'current',
    checks,
    correction: plan.correction,
    resamples,
    seed: plan.seed,
    familySize: tested.length,
    confidence,
    source: plan.source,
    environment: compareEnvironments(baseline, current),
    warnings,
  };
}

export { formatP };
