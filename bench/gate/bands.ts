import { formatNumber } from '../report/format.js';
import type { ResultRow } from '../report/metrics.js';

/**
 * Bands: the value a run must land in, in the manner of Kata Containers' checkmetrics. Either
 * absolute (min, max, or both) or mid ± percent, where mid defaults to the baseline's value. A
 * band with only one edge is one-sided, so that getting faster (or denser) never fails it.
 */

export const BAND_STATS = ['mean', 'p50', 'p95', 'cov'] as const;
export type BandStat = (typeof BAND_STATS)[number];

export const BAND_SIDES = ['both', 'upper', 'lower'] as const;
export type BandSide = (typeof BAND_SIDES)[number];

export interface BandSpec {
  readonly stat: BandStat;
  readonly min?: number;
  readonly max?: number;
  /** Centre of a percent band; the baseline's value of `stat` when absent. */
  readonly mid?: number;
  readonly percent?: number;
  /** Which edges of a percent band apply: upper only, lower only, or both (the default). */
  readonly side?: BandSide;
}

/** A row's statistic; CoV is the sample standard deviation over the mean, as a fraction. */
export function bandStatValue(row: ResultRow, stat: BandStat): number {
  if (stat === 'cov') return row.mean === 0 ? 0 : row.stddev / Math.abs(row.mean);
  return row[stat];
}

export interface ResolvedBand {
  readonly low: number;
  readonly high: number;
  /** How the band reads in a table: "p95 ≤ 2,500", "mean 64 ±10%". */
  readonly text: string;
}

function show(value: number, stat: BandStat): string {
  return stat === 'cov' ? `${formatNumber(value * 100)}%` : formatNumber(value);
}

/** The band's edges for one check, or why it cannot be drawn (a percent band with no baseline). */
export function resolveBand(spec: BandSpec, baselineValue: number | undefined): ResolvedBand | { error: string } {
  const label = spec.stat === 'cov' ? 'CoV' : spec.stat;
  if (spec.percent !== undefined) {
    const mid = spec.mid ?? baselineValue;
    if (mid === undefined) return { error: `no baseline ${label} to centre the ±${spec.percent}% band on` };
    const spread = Math.abs(mid) * (spec.percent / 100);
    const side = spec.side ?? 'both';
    const low = side === 'upper' ? -Infinity : mid - spread;
    const high = side === 'lower' ? Infinity : mid + spread;
    const centre = `${show(mid, spec.stat)}${spec.mid === undefined ? ' (baseline)' : ''}`;
    const text =
      side === 'both'
        ? `${label} ${centre} ±${spec.percent}%`
        : side === 'upper'
          ? `${label} ≤ ${centre} +${spec.percent}%`
          : `${label} ≥ ${centre} -${spec.percent}%`;
    return { low, high, text };
  }
  const low = spec.min ?? -Infinity;
  const high = spec.max ?? Infinity;
  const text =
    spec.min !== undefined && spec.max !== undefined
      ? `${show(spec.min, spec.stat)} ≤ ${label} ≤ ${show(spec.max, spec.stat)}`
      : spec.max !== undefined
        ? `${label} ≤ ${show(spec.max, spec.stat)}`
        : `${label} ≥ ${show(low, spec.stat)}`;
  return { low, high, text };
}

export function withinBand(value: number, band: ResolvedBand): boolean {
  return value >= band.low && value <= band.high;
}

/** What is wrong with a band as written; empty when it is usable. */
export function bandProblems(spec: Partial<BandSpec>): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const absolute = spec.min !== undefined || spec.max !== undefined;
  const relative = spec.percent !== undefined || spec.mid !== undefined;
  if (absolute && relative)
    problems.push({ field: 'percent', message: 'a band is either min/max or mid ± percent, not both' });
  else if (!absolute && !relative)
    problems.push({ field: 'stat', message: 'a band needs min, max, or percent (with an optional mid)' });
  if (spec.mid !== undefined && spec.percent === undefined)
    problems.push({ field: 'mid', message: 'mid needs a percent: mid ± percent' });
  if (spec.side !== undefined && spec.percent === undefined) {
    problems.push({
      field: 'side',
      message: 'side applies to mid ± percent bands; for min/max give only the edge you want',
    });
  }
  if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) {
    problems.push({ field: 'min', message: `min ${spec.min} is above max ${spec.max}` });
  }
  return problems;
}
