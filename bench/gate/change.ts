import { metricInfo } from '../../engines/metrics.js';

/**
 * Relative change of a metric, in percent. Overhead metrics are already "percent slower than
 * native", so their change is that of the run time they stand for: (1 + current) / (1 + baseline)
 * - 1. A 5% threshold then means "the workload runs 5% slower" for every engine, and native's
 * overhead of about 0% still has a well-defined change.
 */
export function relativeChange(metric: string, baseline: number, current: number): number {
  if (isOverhead(metric)) return ((100 + current) / (100 + baseline) - 1) * 100;
  if (baseline === current) return 0;
  if (baseline === 0) return current > 0 ? Infinity : -Infinity;
  return ((current - baseline) / Math.abs(baseline)) * 100;
}

function isOverhead(metric: string): boolean {
  try {
    return metricInfo(metric).unit === '%';
  } catch {
    return false;
  }
}

/** Whether a change of this sign makes the metric worse: slower, bigger, fewer instances. */
export function isWorse(metric: string, changePercent: number): boolean {
  if (changePercent === 0) return false;
  let lowerIsBetter = true;
  try {
    lowerIsBetter = metricInfo(metric).lowerIsBetter;
  } catch {
    // A metric from a newer virtbench: treat growth as worse, the common case.
  }
  return lowerIsBetter ? changePercent > 0 : changePercent < 0;
}

export function formatChange(changePercent: number | undefined): string {
  if (changePercent === undefined || Number.isNaN(changePercent)) return '—';
  if (!Number.isFinite(changePercent)) return changePercent > 0 ? '+∞' : '-∞';
  const text = Math.abs(changePercent).toFixed(Math.abs(changePercent) >= 100 ? 0 : 1);
  // A change that rounds to zero reads as zero, not as "-0.0%".
  const sign = Number(text) === 0 ? '' : changePercent > 0 ? '+' : '-';
  return `${sign}${text}%`;
}
