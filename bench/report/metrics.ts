import { type MetricFamily, metricInfo, orderedMetrics } from '../../engines/metrics.js';
import { roundSignificant, type Summary, summarize } from '../../engines/shared/stats.js';
import type { DensityResource, Driver, EngineKind, Measured } from '../../engines/types.js';

/** Where a row comes from: the scenario, engine and sweep point it describes. */
export interface RowContext {
  readonly scenario: string;
  readonly engine: string;
  readonly kind: EngineKind;
  readonly driver: Driver;
  readonly hardware: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

/** One engine × metric × sweep point: the unit of every report. */
export interface ResultRow extends RowContext, Summary {
  readonly metric: string;
  readonly unit: string;
  /** Non-numeric fact, such as which resource binds density. */
  readonly detail: string;
  /** The raw samples, kept in the JSON result so gates can run permutation tests on them. */
  readonly samples: readonly number[];
}

/**
 * Summarizes an engine's raw samples into rows, keeping only the requested metric families.
 * Large sweeps make hundreds of thousands of rows, so each row is built in one literal of a fixed
 * shape, with no intermediate objects for the garbage collector to chase.
 */
export function rowsFromMeasurement(
  measurement: Measured,
  context: RowContext,
  families: readonly MetricFamily[],
): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const metric of orderedMetrics(Object.keys(measurement.samples))) {
    const info = metricInfo(metric);
    if (!families.includes(info.family)) continue;
    const samples = measurement.samples[metric]!;
    if (samples.length === 0) continue;
    const summary = summarize(samples);
    const rounded = new Array<number>(samples.length);
    for (let i = 0; i < samples.length; i++) rounded[i] = roundSignificant(samples[i]!);
    const detail =
      measurement.details?.[metric] ??
      (metric === 'density' && measurement.densityBinding ? `binding: ${measurement.densityBinding}` : '');
    // Key order is the JSON result's field order.
    rows.push({
      scenario: context.scenario,
      engine: context.engine,
      kind: context.kind,
      driver: context.driver,
      hardware: context.hardware,
      params: context.params,
      metric,
      unit: info.unit,
      detail,
      n: summary.n,
      mean: roundSignificant(summary.mean),
      p50: roundSignificant(summary.p50),
      p95: roundSignificant(summary.p95),
      p99: roundSignificant(summary.p99),
      min: roundSignificant(summary.min),
      max: roundSignificant(summary.max),
      stddev: roundSignificant(summary.stddev),
      ci95Low: roundSignificant(summary.ci95Low),
      ci95High: roundSignificant(summary.ci95High),
      samples: rounded,
    });
  }
  return rows;
}

export type { DensityResource };
