import { createRandom, hashString, type Random } from '../../engines/shared/random.js';

/**
 * Resampling tests on raw samples: a permutation test for "did it change?" and a percentile
 * bootstrap for "by how much?". Both are distribution-free, which matters because timing noise is
 * skewed, and both are seeded, so a gate gives the same verdict on the same inputs every time.
 */

export type Statistic = 'mean' | 'median';

export const MIN_RESAMPLES = 9999;

function meanOf(values: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]!;
  return sum / (to - from);
}

/** Median of an already sorted array, by the same interpolation as the reports' p50. */
function sortedMedian(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = (n - 1) / 2;
  const lower = Math.floor(mid);
  return sorted[lower]! + (sorted[Math.ceil(mid)]! - sorted[lower]!) * (mid - lower);
}

export function statisticOf(values: readonly number[], statistic: Statistic): number {
  const array = Float64Array.from(values);
  if (statistic === 'mean') return meanOf(array, 0, array.length);
  return sortedMedian(array.sort());
}

/** A seed for one comparison that depends on the gate's seed and what is compared, not on check order. */
export function comparisonSeed(seed: number, key: string): number {
  return hashString(`${seed}|${key}`);
}

function uniformIndex(random: Random, below: number): number {
  return Math.floor(random.next() * below);
}

export interface PermutationOutcome {
  /** Statistic of `current` minus statistic of `baseline`. */
  readonly difference: number;
  /** Two-sided Monte Carlo p-value, (1 + extreme resamples) / (1 + resamples): never 0. */
  readonly pValue: number;
}

/**
 * Two-sided permutation test of "both samples come from one distribution" on the difference of
 * means or medians. Each resample relabels the pooled samples at random; the p-value is the share
 * of relabelings at least as extreme as the observed one.
 */
export function permutationTest(
  baseline: readonly number[],
  current: readonly number[],
  options: { statistic: Statistic; resamples: number; seed: number },
): PermutationOutcome {
  return runToEnd(permutationSteps(baseline, current, options));
}

/**
 * Samples a resampling loop touches between two pauses: about a few milliseconds of work, so a
 * caller that steps through it can stay responsive (to Ctrl-C, to a progress display).
 */
const WORK_PER_STEP = 1 << 20;

function resamplesPerStep(samples: number): number {
  return Math.max(1, Math.floor(WORK_PER_STEP / Math.max(1, samples)));
}

/** Runs a stepped computation without pausing, and returns its result. */
export function runToEnd<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** `permutationTest`, pausing (yielding) every few milliseconds of work. */
export function* permutationSteps(
  baseline: readonly number[],
  current: readonly number[],
  options: { statistic: Statistic; resamples: number; seed: number },
): Generator<void, PermutationOutcome> {
  const na = baseline.length;
  const nb = current.length;
  const pooled = Float64Array.from([...baseline, ...current]);
  const n = pooled.length;
  const observed = statisticOf(current, options.statistic) - statisticOf(baseline, options.statistic);
  // Relabelings that tie the observed difference count as extreme; the tolerance absorbs rounding.
  let scale = 0;
  for (const v of pooled) scale = Math.max(scale, Math.abs(v));
  const bar = Math.abs(observed) - 1e-12 * Math.max(scale, Number.MIN_VALUE);
  // Every relabeling is at least as extreme as no difference at all: p = 1 without resampling.
  if (observed === 0) return { difference: 0, pValue: 1 };
  const random = createRandom(options.seed);
  const perStep = resamplesPerStep(n);
  let extreme = 0;
  if (options.statistic === 'mean') {
    let total = 0;
    for (const v of pooled) total += v;
    for (let r = 0; r < options.resamples; r++) {
      if (r % perStep === perStep - 1) yield;
      // A partial Fisher-Yates shuffle draws a uniformly random baseline group of size na.
      let sumA = 0;
      for (let i = 0; i < na; i++) {
        const j = i + uniformIndex(random, n - i);
        const swap = pooled[j]!;
        pooled[j] = pooled[i]!;
        pooled[i] = swap;
        sumA += swap;
      }
      if (Math.abs((total - sumA) / nb - sumA / na) >= bar) extreme++;
    }
  } else {
    const groupA = new Float64Array(na);
    const groupB = new Float64Array(nb);
    for (let r = 0; r < options.resamples; r++) {
      if (r % perStep === perStep - 1) yield;
      for (let i = 0; i < na; i++) {
        const j = i + uniformIndex(random, n - i);
        const swap = pooled[j]!;
        pooled[j] = pooled[i]!;
        pooled[i] = swap;
      }
      groupA.set(pooled.subarray(0, na));
      groupB.set(pooled.subarray(na));
      if (Math.abs(sortedMedian(groupB.sort()) - sortedMedian(groupA.sort())) >= bar) extreme++;
    }
  }
  return { difference: observed, pValue: (1 + extreme) / (1 + options.resamples) };
}

/**
 * The smallest p-value a permutation test on groups of these sizes can give, whatever the
 * resamples: each relabeling and its mirror image are equally likely, so 2 / C(na + nb, na).
 */
export function smallestAttainablePValue(na: number, nb: number): number {
  let combinations = 1;
  for (let k = 1; k <= Math.min(na, nb); k++) combinations = (combinations * (na + nb - Math.min(na, nb) + k)) / k;
  return Math.min(1, 2 / combinations);
}

/**
 * Percentile bootstrap interval of `change(baseline statistic, current statistic)`: both samples
 * are resampled with replacement and the interval is read off the distribution of the change.
 */
export function bootstrapInterval(
  baseline: readonly number[],
  current: readonly number[],
  options: { statistic: Statistic; resamples: number; seed: number; confidence: number },
  change: (baseline: number, current: number) => number,
): [number, number] {
  return runToEnd(bootstrapSteps(baseline, current, options, change));
}

/** `bootstrapInterval`, pausing (yielding) every few milliseconds of work. */
export function* bootstrapSteps(
  baseline: readonly number[],
  current: readonly number[],
  options: { statistic: Statistic; resamples: number; seed: number; confidence: number },
  change: (baseline: number, current: number) => number,
): Generator<void, [number, number]> {
  const random = createRandom(options.seed);
  const a = Float64Array.from(baseline);
  const b = Float64Array.from(current);
  const drawA = new Float64Array(a.length);
  const drawB = new Float64Array(b.length);
  const changes = new Float64Array(options.resamples);
  const statistic = (draw: Float64Array): number =>
    options.statistic === 'mean' ? meanOf(draw, 0, draw.length) : sortedMedian(draw.sort());
  const perStep = resamplesPerStep(a.length + b.length);
  for (let r = 0; r < options.resamples; r++) {
    if (r % perStep === perStep - 1) yield;
    for (let i = 0; i < a.length; i++) drawA[i] = a[uniformIndex(random, a.length)]!;
    for (let i = 0; i < b.length; i++) drawB[i] = b[uniformIndex(random, b.length)]!;
    changes[r] = change(statistic(drawA), statistic(drawB));
  }
  changes.sort();
  const tail = (1 - options.confidence) / 2;
  const at = (q: number): number => {
    const rank = q * (changes.length - 1);
    const lower = Math.floor(rank);
    return changes[lower]! + (changes[Math.ceil(rank)]! - changes[lower]!) * (rank - lower);
  };
  return [at(tail), at(1 - tail)];
}
