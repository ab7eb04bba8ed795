import asciichart from 'asciichart';
import type { createColors } from 'picocolors';
import { metricInfo } from '../../engines/metrics.js';
import { formatNumber } from './format.js';
import type { ResultRow } from './metrics.js';
import type { RunResult } from './results.js';

type Colors = ReturnType<typeof createColors>;

/**
 * Curves from a sweep: a metric's p50 against one swept number, one series per engine, with the
 * other sweep parameters held at their first value. Density against host memory or vCPUs per
 * instance, and boot-storm time against the number of instances, are curves of this kind. The
 * CSV holds the same points as rows with param_* columns.
 */
export interface Curve {
  readonly parameter: string;
  readonly metric: string;
  readonly unit: string;
  /** Swept values, ascending. */
  readonly xs: readonly number[];
  readonly series: readonly { readonly engine: string; readonly ys: readonly number[] }[];
}

/** Metrics that get a curve when they vary along a swept parameter. */
export const CURVE_METRICS = [
  'boot_time',
  'image_size',
  'density',
  'overhead_total',
  'boot_storm',
  'boot_storm.p99',
  'boot_storm.rate',
] as const;

/** One swept number: its values, ascending, with the other sweep parameters held at their first value. */
export interface SweepLine {
  readonly parameter: string;
  readonly xs: number[];
  /** The other sweep parameters, each with the value it is held at along the line. */
  readonly held: Readonly<Record<string, ResultRow['params'][string] | undefined>>;
  /** The rows on the line: those whose other sweep parameters have their held values. */
  readonly rows: readonly ResultRow[];
}

/** Every sweep parameter that takes two or more numbers, as a line along it. */
export function sweepLines(result: RunResult): SweepLine[] {
  const lines: SweepLine[] = [];
  for (const parameter of result.sweepParameters) {
    const xs = [...new Set(result.rows.map((r) => r.params[parameter]))]
      .filter((x): x is number => typeof x === 'number')
      .sort((a, b) => a - b);
    if (xs.length < 2) continue;
    const others = result.sweepParameters.filter((p) => p !== parameter);
    const held = Object.fromEntries(
      others.map((p) => [p, result.rows.find((r) => r.params[p] !== undefined)?.params[p]]),
    );
    const rows = result.rows.filter((r) => others.every((p) => r.params[p] === held[p]));
    lines.push({ parameter, xs, held, rows });
  }
  return lines;
}

export function sweepCurves(result: RunResult, metrics: readonly string[] = CURVE_METRICS): Curve[] {
  const curves: Curve[] = [];
  for (const { parameter, xs, rows: lineRows } of sweepLines(result)) {
    for (const metric of metrics) {
      const series = result.engines
        .map((e) => ({
          engine: e.id,
          points: xs.map((x) =>
            lineRows.find((r) => r.engine === e.id && r.metric === metric && r.params[parameter] === x),
          ),
        }))
        .filter((s): s is { engine: string; points: ResultRow[] } => s.points.every((p) => p !== undefined));
      // A line flat within its noise says only that the metric does not depend on this parameter.
      if (series.length === 0 || series.every((s) => flatWithinNoise(s.points))) continue;
      curves.push({
        parameter,
        metric,
        unit: metricInfo(metric).unit,
        xs,
        series: series.map((s) => ({ engine: s.engine, ys: s.points.map((p) => p.p50) })),
      });
    }
  }
  return curves;
}

/** True when the p50s differ by no more than the widest 95% confidence interval among them. */
function flatWithinNoise(points: readonly ResultRow[]): boolean {
  const p50s = points.map((p) => p.p50);
  const spread = Math.max(...p50s) - Math.min(...p50s);
  const noise = Math.max(...points.map((p) => p.ci95High - p.ci95Low));
  return spread <= noise;
}

/**
 * Boot-storm timelines: instances ready per second over time for each engine, for the largest
 * storm on the first sweep point's line.
 */
export interface Timeline {
  /** Time from the first start at the last bucket's end, ms: the longest storm of the chart. */
  readonly spanMs: number;
  readonly instances: number;
  readonly series: readonly {
    readonly engine: string;
    readonly allReadyMs: number;
    readonly perBucket: readonly number[];
  }[];
}

export function stormTimeline(result: RunResult): Timeline | undefined {
  const rows = result.rows.filter((r) => r.metric === 'boot_storm.ready_per_second' && r.samples.length > 0);
  if (rows.length === 0) return undefined;
  const first = rows[0]!.params;
  const sameLine = rows.filter((r) =>
    Object.keys(first).every((p) => p === 'storm.instances' || r.params[p] === first[p]),
  );
  const instancesOf = (r: ResultRow): number => Number(r.params['storm.instances'] ?? 0);
  const largest = Math.max(...sameLine.map(instancesOf));
  const chosen = sameLine.filter((r) => instancesOf(r) === largest);
  const series = chosen.flatMap((r) => {
    const total = result.rows.find(
      (t) =>
        t.engine === r.engine && t.metric === 'boot_storm' && JSON.stringify(t.params) === JSON.stringify(r.params),
    );
    return total ? [{ engine: r.engine, allReadyMs: total.p50, perBucket: r.samples }] : [];
  });
  if (series.length === 0) return undefined;
  const instances = chosen[0]!.params['storm.instances'];
  return {
    spanMs: Math.max(...series.map((s) => s.allReadyMs)),
    instances: typeof instances === 'number' ? instances : Number.NaN,
    series,
  };
}

const SERIES_COLORS = [
  asciichart.blue,
  asciichart.green,
  asciichart.red,
  asciichart.yellow,
  asciichart.magenta,
  asciichart.cyan,
  asciichart.lightblue,
  asciichart.lightgreen,
  asciichart.lightred,
  asciichart.lightmagenta,
];

const WIDTH = 60;
const HEIGHT = 10;

/** Stretches a few points over `width` columns by linear interpolation, so short curves stay readable. */
function stretch(ys: readonly number[], width: number): number[] {
  if (ys.length < 2) return [...ys];
  return Array.from({ length: width }, (_, col) => {
    const at = (col / (width - 1)) * (ys.length - 1);
    const lower = Math.floor(at);
    const upper = Math.min(ys.length - 1, lower + 1);
    return ys[lower]! + (ys[upper]! - ys[lower]!) * (at - lower);
  });
}

function plot(series: readonly (readonly number[])[], c: Colors): { text: string; margin: number; colors: string[] } {
  const colors = series.map((_, i) => SERIES_COLORS[i % SERIES_COLORS.length]!);
  const text = asciichart.plot(
    series.map((ys) => [...ys]),
    {
      height: HEIGHT,
      colors: c.isColorSupported ? colors : undefined,
      format: (y: number) => formatNumber(y).padStart(9),
    },
  );
  const firstLine = text.split('\n')[0] ?? '';
  const axis = Math.max(firstLine.indexOf('┤'), firstLine.indexOf('┼'));
  return { text, margin: axis >= 0 ? axis + 1 : 0, colors };
}

/** Labels placed under the columns they belong to; a label that would overlap its neighbour is left out. */
function axisLabels(labels: readonly { column: number; text: string }[], margin: number): string {
  let line = '';
  for (const { column, text } of labels) {
    const at = margin + column;
    if (at < line.length + (line.length > 0 ? 1 : 0)) continue;
    line = line.padEnd(at) + text;
  }
  return line;
}

function legend(engines: readonly string[], colors: readonly string[], c: Colors): string {
  return engines
    .map((id, i) => (c.isColorSupported ? `${colors[i]}■${asciichart.reset} ${id}` : `${i + 1}:${id}`))
    .join('  ');
}

export function renderCurve(curve: Curve, c: Colors): string {
  const { text, margin, colors } = plot(
    curve.series.map((s) => stretch(s.ys, WIDTH)),
    c,
  );
  const labels = curve.xs.map((x, i) => ({
    column: Math.round((i / (curve.xs.length - 1)) * (WIDTH - 1)),
    text: formatNumber(x),
  }));
  return [
    c.bold(`${curve.metric} (${curve.unit}, p50) vs ${curve.parameter}`),
    text,
    c.dim(axisLabels(labels, margin)),
    c.dim(`  x: ${curve.xs.join(', ')}${curve.xs.length > 2 ? ' (evenly spaced)' : ''}`),
    `  ${legend(
      curve.series.map((s) => s.engine),
      colors,
      c,
    )}`,
  ].join('\n');
}

/** Each engine's ready-per-second buckets resampled onto one time axis, 0 once its storm is over. */
export function renderTimeline(timeline: Timeline, c: Colors): string {
  const columns = timeline.series.map((s) =>
    Array.from({ length: WIDTH }, (_, col) => {
      const t = ((col + 0.5) / WIDTH) * timeline.spanMs;
      if (t > s.allReadyMs) return 0;
      const bucket = Math.min(s.perBucket.length - 1, Math.floor((t / s.allReadyMs) * s.perBucket.length));
      return s.perBucket[bucket] ?? 0;
    }),
  );
  const { text, margin, colors } = plot(columns, c);
  const seconds = timeline.spanMs / 1000;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({
    column: Math.round(f * (WIDTH - 1)),
    text: `${formatNumber(seconds * f)} s`,
  }));
  const size = Number.isFinite(timeline.instances) ? `${formatNumber(timeline.instances)} instances` : 'the storm';
  return [
    c.bold(`boot_storm.ready_per_second (instances/s) over time, ${size}`),
    text,
    c.dim(axisLabels(ticks, margin)),
    `  ${legend(
      timeline.series.map((s) => s.engine),
      colors,
      c,
    )}`,
  ].join('\n');
}
