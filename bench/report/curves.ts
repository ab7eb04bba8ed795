import asciichart from 'asciichart';
import type { createColors } from 'picocolors';
import { metricInfo } from '../../engines/metrics.js';
import { formatNumber, wrapText } from './format.js';
import type { ResultRow } from './metrics.js';
import { engineDisplayName, type RunResult } from './results.js';

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
  /** The other sweep parameters and the value each is held at along the curve. */
  readonly held: Readonly<Record<string, unknown>>;
  /** One series per engine that ran at one point of the line at least; undefined where it did not. */
  readonly series: readonly { readonly engine: string; readonly ys: readonly (number | undefined)[] }[];
  /** Points of the line an engine could not run, with the reasons. */
  readonly skipped: readonly { readonly engine: string; readonly x: number; readonly reasons: readonly string[] }[];
}

/** Metrics that get a curve when they vary along a swept parameter. */
export const CURVE_METRICS = [
  'boot_time',
  'image_size',
  'density',
  'overhead_total',
  'throughput',
  'latency.p99',
  'boot_storm',
  'boot_storm.p50',
  'boot_storm.p99',
  'boot_storm.rate',
] as const;

/**
 * Density-to-failure curves: per engine and sweep point, the memory each instance takes (PSS,
 * and its private and shared parts) against the instances running, one point per batch.
 */
export function densityCurves(result: RunResult): Curve[] {
  const curves: Curve[] = [];
  for (const xsRow of result.rows.filter((r) => r.metric === 'density_curve.instances' && r.samples.length > 1)) {
    const engine = result.engines.find((e) => e.id === xsRow.engine && e.driver === xsRow.driver);
    const sameCell = (r: ResultRow): boolean =>
      r.engine === xsRow.engine &&
      r.driver === xsRow.driver &&
      JSON.stringify(r.params) === JSON.stringify(xsRow.params);
    const series = (
      [
        ['density_curve.pss_per_instance', 'PSS'],
        ['density_curve.private_per_instance', 'private'],
        ['density_curve.shared_per_instance', 'shared'],
      ] as const
    ).flatMap(([metric, label]) => {
      const row = result.rows.find((r) => r.metric === metric && sameCell(r));
      return row ? [{ engine: label, ys: [...row.samples] }] : [];
    });
    if (series.length === 0) continue;
    const name = engine ? engineDisplayName(engine) : xsRow.engine;
    curves.push({
      parameter: `${name}: instances running`,
      metric: 'density_curve.pss_per_instance',
      unit: 'MiB',
      xs: [...xsRow.samples],
      held: xsRow.params,
      series,
      skipped: [],
    });
  }
  return curves;
}

/**
 * A metric over two swept parameters at once, per engine: the boot-storm latency surface over
 * instances started together (columns) and instances already running (rows). Other sweep
 * parameters are held at their first value.
 */
export interface Surface {
  readonly metric: string;
  readonly unit: string;
  readonly rowParameter: string;
  readonly columnParameter: string;
  readonly rowValues: readonly number[];
  readonly columnValues: readonly number[];
  readonly held: Readonly<Record<string, unknown>>;
  /** values[row][column]: the metric's p50, undefined where the engine did not run that point. */
  readonly engines: readonly { readonly engine: string; readonly values: readonly (number | undefined)[][] }[];
}

/** Pairs of swept parameters that make a surface: [rows, columns]. */
const SURFACE_AXES = [['storm.running', 'storm.instances']] as const;

/** Metrics drawn as surfaces where both axes of a pair are swept. */
export const SURFACE_METRICS = ['boot_storm.p50', 'boot_storm.p99'] as const;

export function sweepSurfaces(result: RunResult, metrics: readonly string[] = SURFACE_METRICS): Surface[] {
  const surfaces: Surface[] = [];
  for (const [rowParameter, columnParameter] of SURFACE_AXES) {
    if (!result.sweepParameters.includes(rowParameter) || !result.sweepParameters.includes(columnParameter)) continue;
    const valuesOf = (parameter: string): number[] =>
      [...new Set(result.rows.map((r) => r.params[parameter]))]
        .filter((x): x is number => typeof x === 'number')
        .sort((a, b) => a - b);
    const rowValues = valuesOf(rowParameter);
    const columnValues = valuesOf(columnParameter);
    const others = result.sweepParameters.filter((p) => p !== rowParameter && p !== columnParameter);
    const held = Object.fromEntries(
      others.map((p) => [p, result.rows.find((r) => r.params[p] !== undefined)?.params[p]]),
    );
    const rows = result.rows.filter((r) => others.every((p) => r.params[p] === held[p]));
    for (const metric of metrics) {
      const engines = result.engines
        .map((e) => ({
          engine: engineDisplayName(e),
          values: rowValues.map((y) =>
            columnValues.map(
              (x) =>
                rows.find(
                  (r) =>
                    r.engine === e.id &&
                    r.driver === e.driver &&
                    r.metric === metric &&
                    r.params[rowParameter] === y &&
                    r.params[columnParameter] === x,
                )?.p50,
            ),
          ),
        }))
        .filter((e) => e.values.some((row) => row.some((v) => v !== undefined)));
      if (engines.length === 0) continue;
      surfaces.push({
        metric,
        unit: metricInfo(metric).unit,
        rowParameter,
        columnParameter,
        rowValues,
        columnValues,
        held,
        engines,
      });
    }
  }
  return surfaces;
}

/** A surface as one text grid per engine: columns the first parameter's values, rows the second's. */
export function renderSurface(surface: Surface, c: Colors): string {
  const out = [
    c.bold(`${surface.metric} (${surface.unit}, p50) by ${surface.rowParameter} and ${surface.columnParameter}`),
  ];
  const header = [
    `${surface.rowParameter} \\ ${surface.columnParameter}`,
    ...surface.columnValues.map((x) => formatNumber(x)),
  ];
  for (const engine of surface.engines) {
    const lines = [
      header,
      ...surface.rowValues.map((y, i) => [
        formatNumber(y),
        ...engine.values[i]!.map((v) => (v === undefined ? '—' : formatNumber(v))),
      ]),
    ];
    const widths = header.map((_, k) => Math.max(...lines.map((l) => l[k]!.length)));
    out.push(`  ${c.bold(engine.engine)}`);
    for (const line of lines)
      out.push(
        `    ${line.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join('  ')}`,
      );
  }
  return out.join('\n');
}

export interface CurveOptions {
  /** Keep curves that are flat within their noise (the HTML report draws every swept metric). */
  readonly keepFlat?: boolean;
}

export function sweepCurves(
  result: RunResult,
  metrics: readonly string[] = CURVE_METRICS,
  options: CurveOptions = {},
): Curve[] {
  const curves: Curve[] = [];
  for (const parameter of result.sweepParameters) {
    const xs = [...new Set(result.rows.map((r) => r.params[parameter]))]
      .filter((x): x is number => typeof x === 'number')
      .sort((a, b) => a - b);
    if (xs.length < 2) continue;
    const others = result.sweepParameters.filter((p) => p !== parameter);
    const held = Object.fromEntries(
      others.map((p) => [p, result.rows.find((r) => r.params[p] !== undefined)?.params[p]]),
    );
    const onLine = (params: ResultRow['params']): boolean => others.every((p) => params[p] === held[p]);
    const lineRows = result.rows.filter((r) => onLine(r.params));
    const skipped = result.skipped
      .filter((s) => onLine(s.params) && typeof s.params[parameter] === 'number')
      .map((s) => ({ engine: s.engine, x: s.params[parameter] as number, reasons: s.reasons }));
    for (const metric of metrics) {
      const series = result.engines
        .map((e) => ({
          engine: engineDisplayName(e),
          points: xs.map((x) =>
            lineRows.find(
              (r) => r.engine === e.id && r.driver === e.driver && r.metric === metric && r.params[parameter] === x,
            ),
          ),
        }))
        .filter((s) => s.points.some((p) => p !== undefined));
      // A line flat within its noise says only that the metric does not depend on this parameter.
      const flat = series.every((s) => flatWithinNoise(s.points.filter((p): p is ResultRow => p !== undefined)));
      if (series.length === 0 || (flat && !options.keepFlat)) continue;
      curves.push({
        parameter,
        metric,
        unit: metricInfo(metric).unit,
        xs,
        held,
        series: series.map((s) => ({ engine: s.engine, ys: s.points.map((p) => p?.p50) })),
        skipped: skipped.filter((k) => series.some((s) => s.engine === k.engine || s.engine === `${k.engine} (real)`)),
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

/**
 * Each series draws its whole line with its own symbol, so series stay apart without colour (a
 * pipe, a log file, NO_COLOR); the legend shows the same symbol. Colour, where there is colour,
 * is added on top.
 */
export const SERIES_SYMBOLS = ['●', '■', '▲', '◆', '×', '+', '○', '□', '△', '◇'] as const;

function seriesColor(c: Colors, i: number): (text: string) => string {
  const colors = [c.blue, c.green, c.red, c.yellow, c.magenta, c.cyan];
  return colors[i % colors.length]!;
}

const WIDTH = 60;
const HEIGHT = 10;
/** Columns the y-axis labels and the axis take. */
const AXIS_MARGIN = 11;

/**
 * Stretches a few points over `width` columns by linear interpolation, so short curves stay
 * readable; a column next to a missing point stays empty, so a skipped point leaves a gap.
 */
function stretch(ys: readonly (number | undefined)[], width: number): (number | undefined)[] {
  if (ys.length < 2) return [...ys];
  return Array.from({ length: width }, (_, col) => {
    const at = (col / (width - 1)) * (ys.length - 1);
    const lower = Math.floor(at);
    const upper = Math.min(ys.length - 1, lower + 1);
    const [low, high] = [ys[lower], ys[upper]];
    if (low === undefined || high === undefined) {
      // On a point that ran, next to one that did not: draw the point itself.
      if (at === lower && low !== undefined) return low;
      return undefined;
    }
    return low + (high - low) * (at - lower);
  });
}

/**
 * Plots every series on one scale: asciichart draws each series alone with its own symbol, and the
 * drawings are laid over each other, later series on top.
 */
function plot(series: readonly (readonly (number | undefined)[])[], c: Colors): { text: string; margin: number } {
  const defined = series.flat().filter((y): y is number => y !== undefined);
  const min = Math.min(...defined);
  const max = Math.max(...defined);
  const step = (max - min) / HEIGHT;
  const format = (y: number): string => formatNumber(y, step).padStart(AXIS_MARGIN - 2);
  const grids = series.map((ys, i) => {
    const m = SERIES_SYMBOLS[i % SERIES_SYMBOLS.length]!;
    const text = asciichart.plot(
      ys.map((y) => y ?? min),
      { height: HEIGHT, min, max, format, symbols: ['┼', '┤', m, m, m, m, m, m, m, m] },
    );
    return text.split('\n');
  });
  const first = grids[0]![0]!;
  const margin = Math.max(first.indexOf('┤'), first.indexOf('┼')) + 1;
  const lines = grids[0]!.map((line, row) => {
    const cells: string[] = [...line.slice(0, margin)];
    for (let col = margin; col < line.length; col++) {
      let cell = ' ';
      grids.forEach((grid, i) => {
        const char = grid[row]![col]!;
        if (char !== ' ' && series[i]![col - margin] !== undefined) cell = seriesColor(c, i)(char);
      });
      cells.push(cell);
    }
    return cells.join('').trimEnd();
  });
  return { text: lines.join('\n'), margin };
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

function legend(engines: readonly string[], c: Colors): string {
  return engines.map((id, i) => `${seriesColor(c, i)(SERIES_SYMBOLS[i % SERIES_SYMBOLS.length]!)} ${id}`).join('  ');
}

/** The plot's width in columns: 60, less on a terminal too narrow for it. */
function plotWidth(width: number): number {
  return Math.max(20, Math.min(WIDTH, width - AXIS_MARGIN - 2));
}

export function renderCurve(curve: Curve, c: Colors, width = 100): string {
  const columns = plotWidth(width);
  const { text, margin } = plot(
    curve.series.map((s) => stretch(s.ys, columns)),
    c,
  );
  const column = (x: number): number => Math.round((curve.xs.indexOf(x) / (curve.xs.length - 1)) * (columns - 1));
  const labels = curve.xs.map((x) => ({ column: column(x), text: formatNumber(x) }));
  const lines = [
    c.bold(`${curve.metric} (${curve.unit}, p50) vs ${curve.parameter}`),
    text,
    c.dim(axisLabels(labels, margin)),
    c.dim(`  x: ${curve.xs.join(', ')}${curve.xs.length > 2 ? ' (evenly spaced)' : ''}`),
    `  ${legend(
      curve.series.map((s) => s.engine),
      c,
    )}`,
  ];
  // A skipped point is a gap in its line; say which and why, one line per engine and reason.
  const byReason = new Map<string, { engine: string; xs: number[]; reasons: string }>();
  for (const s of curve.skipped) {
    const reasons = s.reasons.join('; ');
    const key = `${s.engine}\0${reasons}`;
    const entry = byReason.get(key) ?? { engine: s.engine, xs: [], reasons };
    entry.xs.push(s.x);
    byReason.set(key, entry);
  }
  for (const { engine, xs, reasons } of byReason.values()) {
    const text = `${engine} skipped at ${curve.parameter}=${xs.map((x) => formatNumber(x)).join(', ')}: ${reasons}`;
    lines.push(...wrapText(text, width, '  ').map((line) => c.yellow(line)));
  }
  return lines.join('\n');
}

/** Each engine's ready-per-second buckets resampled onto one time axis, 0 once its storm is over. */
export function renderTimeline(timeline: Timeline, c: Colors, width = 100): string {
  const plotColumns = plotWidth(width);
  const columns = timeline.series.map((s) =>
    Array.from({ length: plotColumns }, (_, col) => {
      const t = ((col + 0.5) / plotColumns) * timeline.spanMs;
      if (t > s.allReadyMs) return 0;
      const bucket = Math.min(s.perBucket.length - 1, Math.floor((t / s.allReadyMs) * s.perBucket.length));
      return s.perBucket[bucket] ?? 0;
    }),
  );
  const { text, margin } = plot(columns, c);
  const seconds = timeline.spanMs / 1000;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({
    column: Math.round(f * (plotColumns - 1)),
    text: `${formatNumber(seconds * f)} s`,
  }));
  const size = Number.isFinite(timeline.instances) ? `${formatNumber(timeline.instances)} instances` : 'the storm';
  return [
    c.bold(`boot_storm.ready_per_second (instances/s) over time, ${size}`),
    text,
    c.dim(axisLabels(ticks, margin)),
    `  ${legend(
      timeline.series.map((s) => s.engine),
      c,
    )}`,
  ].join('\n');
}
