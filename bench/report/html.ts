import { metricInfo } from '../../engines/metrics.js';
import { formatChange, relativeChange } from '../gate/change.js';
import { formatDifferences } from '../gate/environment.js';
import { type GateReport, gatePassed } from '../gate/evaluate.js';
import { countLine, engineLabel, metricLabel, tableCells } from '../gate/table.js';
import { type Curve, densityCurves, type Surface, sweepCurves, sweepSurfaces } from './curves.js';
import {
  COMPARISON_ROWS,
  collapseNotes,
  formatEstimate,
  formatNumber,
  formatValue,
  idleOverheadMetrics,
  idleOverheadNote,
  isNoiseAroundZero,
  skippedLines,
} from './format.js';
import type { ResultRow } from './metrics.js';
import type { RunResult, SkippedCell } from './results.js';

/**
 * A self-contained HTML report: inline CSS and inline SVG, no scripts, fonts or images to fetch.
 * A Content-Security-Policy forbids every network request, so the file shows the same thing
 * offline, from a CI artifact or an email attachment, as it did when it was written.
 */

export interface HtmlInput {
  readonly result: RunResult;
  readonly baseline?: RunResult;
  readonly gate?: GateReport;
  readonly mode: 'gate' | 'compare' | 'result';
}

/**
 * Twenty distinct colours: Tableau's ten, then their light companions, so that neighbouring boot
 * phases never share a hue and 20 phases get 20 colours. Past twenty, a hatch tells repeats apart.
 */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#79706e',
  '#a0cbe8',
  '#ffbe7d',
  '#ff9d9a',
  '#b9e0dc',
  '#8cd17d',
  '#f1ce63',
  '#d4a6c8',
  '#fabfd2',
  '#d7b5a6',
  '#bab0ac',
];

const WIDTH = 760;
const ROW_HEIGHT = 22;
/** Pixels per character of the charts' 12px text: a generous average, so that labels never clip. */
const CHAR_WIDTH = 7.5;
/** Height of a bar chart's value axis: the line, tick labels and the axis title. */
const AXIS_HEIGHT = 36;

function textWidth(text: string): number {
  return text.length * CHAR_WIDTH;
}

/** Dark text on light colours and white on dark ones, for labels drawn inside bar segments. */
function labelColor(fill: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(fill.slice(i, i + 2), 16));
  return 0.299 * r! + 0.587 * g! + 0.114 * b! > 150 ? '#111' : '#fff';
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function num(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '0';
}

/**
 * Maps values onto [0, 1] of an axis from 0 to `max`: linearly, or when asked and the largest value
 * is 20 times the median, on a symmetric-log scale over the top three decades, so that one outlier
 * (gVisor's system-call cost) does not flatten every other bar while tiny values still draw tiny bars.
 */
function scaleFor(
  values: readonly number[],
  allowLog: boolean,
  floor = 0,
): { scale: (v: number) => number; log: boolean; max: number } {
  const max = Math.max(floor, ...values);
  if (max <= 0) return { scale: () => 0, log: false, max: 0 };
  // Log only when one value dwarfs the typical one, not when noise puts a value near zero.
  const positive = values.filter((v) => v > 0).sort((a, b) => a - b);
  const typical = positive[Math.floor(positive.length / 2)] ?? 0;
  const log = allowLog && typical > 0 && max / typical >= 20;
  if (!log) return { scale: (v) => Math.max(0, v) / max, log, max };
  const unit = max / 1000;
  return { scale: (v) => Math.log10(1 + Math.max(0, v) / unit) / Math.log10(1 + max / unit), log, max };
}

/** Whether a bar chart of these values is drawn on a log scale, for its visible heading. */
export function usesLogScale(values: readonly number[]): boolean {
  return scaleFor(values, true).log;
}

/** Tick values of a bar chart's axis: round numbers on a linear axis, decades on a log one. */
function axisTicks(max: number, log: boolean): number[] {
  if (max <= 0) return [0];
  if (!log) return ticks(0, max, 4);
  const decades: number[] = [0];
  for (let v = 10 ** Math.ceil(Math.log10(max / 1000)); v <= max * (1 + 1e-9); v *= 10) decades.push(v);
  return decades;
}

interface BarItem {
  readonly label: string;
  /** What the bar's length shows: 0 for a figure that is noise around zero, or a skipped engine. */
  readonly value: number;
  readonly text: string;
  readonly segments?: readonly { readonly name: string; readonly value: number; readonly color: string }[];
  readonly note?: string;
  readonly skipped?: boolean;
}

function svgOpen(id: string, height: number, title: string): string {
  return `<svg class="chart" id="${escapeHtml(id)}" role="img" aria-labelledby="${escapeHtml(id)}-title" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title id="${escapeHtml(id)}-title">${escapeHtml(title)}</title>`;
}

interface BarChartOptions {
  /** Unit of the values, for the axis ticks and its title. */
  readonly unit: string;
  readonly legend?: readonly { name: string; color: string }[];
  readonly allowLog?: boolean;
}

/**
 * Horizontal bars, one per engine, optionally stacked from named segments (boot phases), above a
 * value axis with ticks and its unit. Label and value columns are sized to their longest text, so
 * nothing is clipped. A percent axis spans at least 0 to 1%, so that a hundredth of a percent is
 * not drawn as a full-width bar.
 */
function barChart(id: string, title: string, items: readonly BarItem[], options: BarChartOptions): string {
  const legend = options.legend ?? [];
  const { scale, log, max } = scaleFor(
    items.map((i) => i.value),
    options.allowLog ?? false,
    options.unit === '%' ? 1 : 0,
  );
  const labelWidth = Math.max(60, ...items.map((i) => textWidth(i.label) + 12));
  const valueWidth = Math.max(
    0,
    ...items.filter((i) => !i.skipped).map((i) => textWidth(`${i.text}${i.note ? ` ${i.note}` : ''}`) + 16),
  );
  const plotWidth = WIDTH - labelWidth - valueWidth;
  const legendColumns = Math.max(1, Math.floor(plotWidth / 130));
  const legendRows = Math.ceil(legend.length / legendColumns);
  const axisY = items.length * ROW_HEIGHT + 6;
  const height = axisY + AXIS_HEIGHT + legendRows * 18 + (legendRows > 0 ? 6 : 0);
  const out = [svgOpen(id, height, title + (log ? ' (log scale)' : ''))];
  items.forEach((item, i) => {
    const y = i * ROW_HEIGHT + 4;
    const length = Math.max(item.value > 0 ? 1 : 0, scale(item.value) * plotWidth);
    out.push(
      `<text class="label" x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(item.label)}</text>`,
    );
    if (item.skipped) {
      out.push(
        `<text class="value skipped" x="${labelWidth + 6}" y="${y + 14}">${escapeHtml(item.text)}<title>${escapeHtml(item.note ?? '')}</title></text>`,
      );
      return;
    }
    if (item.segments && item.value > 0) {
      // Segments share the bar in proportion to their values, so a log-scaled bar keeps its parts.
      const total = item.segments.reduce((sum, s) => sum + s.value, 0);
      let x = labelWidth;
      for (const segment of item.segments) {
        const w = total > 0 ? (segment.value / total) * length : 0;
        const number = legend.findIndex((l) => l.name === segment.name) + 1;
        // Each segment is labelled: by its name where it fits, else by its number in the legend.
        const label =
          w >= textWidth(segment.name) + 4 ? segment.name : w >= textWidth(String(number)) + 4 ? String(number) : '';
        out.push(
          `<rect class="segment" data-phase="${escapeHtml(segment.name)}" x="${num(x)}" y="${y}" width="${num(w)}" height="${ROW_HEIGHT - 6}" fill="${segment.color}"><title>${escapeHtml(`${item.label} ${segment.name}: ${formatValue(segment.value, 'ms')}`)}</title></rect>`,
        );
        if (label)
          out.push(
            `<text class="segment-label" x="${num(x + w / 2)}" y="${y + 12}" text-anchor="middle" fill="${labelColor(segment.color)}">${escapeHtml(label)}</text>`,
          );
        x += w;
      }
      out.push(
        `<rect class="bar" x="${labelWidth}" y="${y}" width="${num(length)}" height="${ROW_HEIGHT - 6}" fill="none" stroke="#333" stroke-width="0.5"><title>${escapeHtml(`${item.label}: ${item.text}`)}</title></rect>`,
      );
    } else {
      out.push(
        `<rect class="bar" x="${labelWidth}" y="${y}" width="${num(length)}" height="${ROW_HEIGHT - 6}" fill="${PALETTE[0]}"><title>${escapeHtml(`${item.label}: ${item.text}`)}</title></rect>`,
      );
    }
    out.push(
      `<text class="value" x="${num(labelWidth + length + 6)}" y="${y + 14}">${escapeHtml(item.text)}${item.note ? ` <tspan class="note">${escapeHtml(item.note)}</tspan>` : ''}</text>`,
    );
  });
  out.push(
    `<line class="axis" x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + plotWidth}" y2="${axisY}" stroke="#666"/>`,
  );
  for (const tick of axisTicks(max, log)) {
    const x = labelWidth + scale(tick) * plotWidth;
    out.push(
      `<line x1="${num(x)}" y1="${axisY}" x2="${num(x)}" y2="${axisY + 4}" stroke="#666"/><text class="tick" x="${num(x)}" y="${axisY + 16}" text-anchor="middle">${escapeHtml(formatValue(tick, options.unit))}</text>`,
    );
  }
  out.push(
    `<text class="axis-title" x="${num(labelWidth + plotWidth / 2)}" y="${axisY + 31}" text-anchor="middle">${escapeHtml(axisTitle(options.unit, log))}</text>`,
  );
  legend.forEach((entry, i) => {
    const x = labelWidth + (i % legendColumns) * 130;
    const y = axisY + AXIS_HEIGHT + Math.floor(i / legendColumns) * 18;
    out.push(
      `<rect class="legend" x="${x}" y="${y}" width="10" height="10" fill="${entry.color}"/><text class="legend-label" x="${x + 14}" y="${y + 9}">${escapeHtml(`${i + 1} ${entry.name}`)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

/** The value axis's title: what is measured, in which unit, on which scale. */
function axisTitle(unit: string, log: boolean): string {
  const unitName = unit === '%' ? 'percent slower than native' : unit === 'flag' ? 'yes or no' : unit;
  return `p50, ${unitName}${log ? ', log scale' : ''}`;
}

/** The rows the bar charts and the table show: the first sweep point's, and who was skipped there. */
interface Point {
  readonly rows: readonly ResultRow[];
  readonly skipped: readonly SkippedCell[];
}

function firstPoint(result: RunResult): Point {
  const params = result.rows[0]?.params ?? result.skipped[0]?.params ?? {};
  const key = JSON.stringify(params);
  return {
    rows: result.rows.filter((row) => JSON.stringify(row.params) === key),
    skipped: result.skipped.filter((cell) => JSON.stringify(cell.params) === key),
  };
}

/** Each engine's row of a metric at the point, or the skipped cell that explains its absence. */
function engineRows(
  result: RunResult,
  point: Point,
  metric: string,
): ({ engine: string; row: ResultRow } | { engine: string; skipped: SkippedCell })[] {
  return result.engines.flatMap(
    (engine): ({ engine: string; row: ResultRow } | { engine: string; skipped: SkippedCell })[] => {
      const row = point.rows.find((r) => r.engine === engine.id && r.metric === metric);
      if (row) return [{ engine: engine.id, row }];
      const skipped = point.skipped.find((cell) => cell.engine === engine.id);
      return skipped ? [{ engine: engine.id, skipped }] : [];
    },
  );
}

/** The reasons of the engines a bar chart shows as skipped, listed under it. */
function skippedReasons(items: readonly BarItem[]): string {
  const skipped = items.filter((i) => i.skipped);
  if (skipped.length === 0) return '';
  return `<ul class="skipped-points">${skipped.map((i) => `<li>${escapeHtml(`${i.label} skipped at this point: ${i.note ?? ''}`)}</li>`).join('')}</ul>`;
}

function skippedItem(engine: string, cell: SkippedCell): BarItem {
  return { label: engine, value: 0, text: 'skipped at this point', note: cell.reasons.join('; '), skipped: true };
}

/** A row's bar: its length is 0 when the figure is noise around zero, as its text (≈0) says. */
function rowItem(engine: string, row: ResultRow, note?: string): BarItem {
  return { label: engine, value: isNoiseAroundZero(row) ? 0 : row.p50, text: formatEstimate(row), note };
}

function bootChart(result: RunResult, point: Point): string | undefined {
  const totals = engineRows(result, point, 'boot_time');
  if (!totals.some((t) => 'row' in t)) return undefined;
  const phases: string[] = [];
  for (const row of point.rows)
    if (row.metric.startsWith('boot_time.') && !phases.includes(row.metric)) phases.push(row.metric);
  const color = (phase: string): string => PALETTE[phases.indexOf(phase) % PALETTE.length]!;
  const items = totals.map((total) =>
    'skipped' in total
      ? skippedItem(total.engine, total.skipped)
      : {
          ...rowItem(total.engine, total.row),
          segments: point.rows
            .filter((r) => r.engine === total.engine && r.metric.startsWith('boot_time.'))
            .map((r) => ({ name: r.metric.slice('boot_time.'.length), value: r.p50, color: color(r.metric) })),
        },
  );
  const legend = phases.map((phase) => ({ name: phase.slice('boot_time.'.length), color: color(phase) }));
  return (
    barChart('chart-boot', 'Boot time per engine (p50), by phase', items, { unit: 'ms', legend }) +
    skippedReasons(items)
  );
}

function simpleChart(
  id: string,
  title: string,
  result: RunResult,
  point: Point,
  metric: string,
  options: { note?: (row: ResultRow) => string; allowLog?: boolean } = {},
): string | undefined {
  const data = engineRows(result, point, metric);
  if (!data.some((d) => 'row' in d)) return undefined;
  const items = data.map((d) =>
    'skipped' in d ? skippedItem(d.engine, d.skipped) : rowItem(d.engine, d.row, options.note?.(d.row)),
  );
  return (
    barChart(id, title, items, { unit: metricInfo(metric).unit, allowLog: options.allowLog }) + skippedReasons(items)
  );
}

const OVERHEAD_DIMENSIONS = [
  'overhead_cpu',
  'overhead_memory',
  'overhead_disk',
  'overhead_network',
  'overhead_total',
] as const;

function overheadCharts(result: RunResult, point: Point, idle: ReadonlySet<string>): string[] {
  return OVERHEAD_DIMENSIONS.filter((metric) => !idle.has(metric)).flatMap((metric) => {
    const chart = simpleChart(
      `chart-${metric.replace('_', '-')}`,
      `${metricInfo(metric).description} (p50)`,
      result,
      point,
      metric,
      { allowLog: true },
    );
    const log = usesLogScale(point.rows.filter((r) => r.metric === metric).map((r) => r.p50));
    return chart
      ? [
          `<h3>${escapeHtml(metricInfo(metric).description)}${log ? ' <span class="scale">(log scale)</span>' : ''}</h3>${chart}`,
        ]
      : [];
  });
}

/** A metric's name for people: the comparison table's label, else the catalogue's description. */
export function metricName(metric: string): string {
  return (
    COMPARISON_ROWS.find((r) => r.metric === metric)?.label.replace(/ \(p50\)$/, '') ?? metricInfo(metric).description
  );
}

const SWEPT_METRICS = ['boot_time', 'image_size', 'density', 'overhead_total', 'boot_storm', 'boot_storm.p50'] as const;

/**
 * One line chart per numeric sweep parameter and headline metric, one line per engine, drawn at
 * the points the engine ran; a point it was skipped at is a gap marked × with its reason.
 */
function sweepCharts(result: RunResult, idle: ReadonlySet<string>): string[] {
  const metrics = SWEPT_METRICS.filter((m) => !idle.has(m));
  return sweepCurves(result, metrics, { keepFlat: true }).map((curve) => {
    const title = `${metricName(curve.metric)} (${curve.unit}, p50) vs ${curve.parameter}`;
    const heldText = Object.entries(curve.held).map(([p, v]) => `${p}=${String(v)}`);
    const held = heldText.length > 0 ? ` <span class="scale">(${escapeHtml(heldText.join(', '))})</span>` : '';
    const skipped = curve.skipped.map(
      (k) => `<li>${escapeHtml(`${k.engine} skipped at ${curve.parameter}=${k.x}: ${k.reasons.join('; ')}`)}</li>`,
    );
    return (
      `<h3>${escapeHtml(title)}${held}</h3>` +
      lineChart(`chart-sweep-${curve.parameter}-${curve.metric}`.replace(/[^a-z0-9-]/gi, '-'), title, curve) +
      (skipped.length > 0 ? `<ul class="skipped-points">${skipped.join('')}</ul>` : '')
    );
  });
}

/** Density to failure: memory per instance against instances running, per engine. */
function densityCurveCharts(result: RunResult): string[] {
  return densityCurves(result).map((curve) => {
    const title = `Memory per instance (MiB) vs ${curve.parameter}`;
    return `<h3>${escapeHtml(title)}</h3>${lineChart(`chart-density-curve-${curve.parameter}`.replace(/[^a-z0-9-]/gi, '-'), title, curve)}`;
  });
}

/**
 * A surface as one heatmap per engine: a cell per (row, column) point, shaded from light (the
 * smallest value among all engines) to dark (the largest) on a log scale when the values span
 * more than a decade, labelled with its value; a point the engine did not run is left blank.
 */
function surfaceCharts(result: RunResult): string[] {
  return sweepSurfaces(result).map((surface) => {
    const title = `${metricName(surface.metric)} (${surface.unit}, p50) by ${surface.rowParameter} and ${surface.columnParameter}`;
    const heldText = Object.entries(surface.held).map(([p, v]) => `${p}=${String(v)}`);
    const held = heldText.length > 0 ? ` <span class="scale">(${escapeHtml(heldText.join(', '))})</span>` : '';
    return `<h3>${escapeHtml(title)}${held}</h3>${surface.engines
      .map((engine) =>
        heatmap(
          `chart-surface-${surface.metric}-${engine.engine}`.replace(/[^a-z0-9-]/gi, '-'),
          `${engine.engine}: ${title}`,
          surface,
          engine.values,
        ),
      )
      .join('')}`;
  });
}

function heatmap(id: string, title: string, surface: Surface, values: readonly (number | undefined)[][]): string {
  const all = surface.engines.flatMap((e) => e.values.flat()).filter((v): v is number => v !== undefined && v > 0);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const log = hi / lo > 10;
  const shade = (v: number): number => {
    if (hi === lo) return 0.5;
    return log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
  };
  const cell = 56;
  const rowHeight = 26;
  const left = 110;
  const top = 34;
  const height = top + rowHeight * surface.rowValues.length + 12;
  const out = [svgOpen(id, height, title)];
  out.push(`<text class="legend-label" x="0" y="14">${escapeHtml(title.split(':')[0]!)}</text>`);
  out.push(
    `<text class="axis-title" x="${left}" y="${top - 6}">${escapeHtml(`${surface.columnParameter} →`)}</text><text class="axis-title" x="0" y="${top - 6}">${escapeHtml(`${surface.rowParameter} ↓`)}</text>`,
  );
  surface.columnValues.forEach((x, k) => {
    out.push(
      `<text class="tick" x="${left + k * cell + cell / 2}" y="${top + rowHeight * surface.rowValues.length + 10}" text-anchor="middle">${escapeHtml(formatNumber(x))}</text>`,
    );
  });
  surface.rowValues.forEach((y, i) => {
    const rowTop = top + i * rowHeight;
    out.push(
      `<text class="tick" x="${left - 8}" y="${rowTop + 17}" text-anchor="end">${escapeHtml(formatNumber(y))}</text>`,
    );
    surface.columnValues.forEach((x, k) => {
      const v = values[i]?.[k];
      const cellLeft = left + k * cell;
      if (v === undefined) {
        out.push(`<rect x="${cellLeft}" y="${rowTop}" width="${cell - 2}" height="${rowHeight - 2}" fill="#f4f4f4"/>`);
        return;
      }
      const t = v > 0 ? shade(v) : 0;
      const lightness = Math.round(92 - t * 62);
      const fill = `hsl(210 70% ${lightness}%)`;
      out.push(
        `<rect x="${cellLeft}" y="${rowTop}" width="${cell - 2}" height="${rowHeight - 2}" fill="${fill}"><title>${escapeHtml(`${surface.rowParameter}=${y}, ${surface.columnParameter}=${x}: ${formatValue(v, surface.unit)}`)}</title></rect><text class="segment-label" x="${cellLeft + (cell - 2) / 2}" y="${rowTop + 16}" text-anchor="middle" fill="${lightness < 55 ? '#fff' : '#222'}">${escapeHtml(formatNumber(v))}</text>`,
      );
    });
  });
  out.push('</svg>');
  return out.join('');
}

function ticks(min: number, max: number, count: number): number[] {
  if (max === min) return [min];
  const step = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= step) ?? step;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + nice * 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

function lineChart(id: string, title: string, curve: Curve): string {
  const { xs, parameter, unit } = curve;
  const height = 300;
  const left = 70;
  const legendWidth = Math.max(...curve.series.map((s) => textWidth(s.engine))) + 40;
  const right = WIDTH - legendWidth;
  const top = 12;
  const bottom = height - 40;
  const all = curve.series.flatMap((s) => s.ys).filter((y): y is number => y !== undefined);
  const yMin = Math.min(0, ...all);
  const yMax = Math.max(...all) * 1.05 || 1;
  const xMin = xs[0]!;
  const xMax = xs[xs.length - 1]!;
  const px = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const py = (y: number): number => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);
  const out = [svgOpen(id, height, title)];
  out.push(
    `<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#666"/><line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#666"/>`,
  );
  const yTicks = ticks(yMin, yMax, 5);
  const step = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : undefined;
  for (const y of yTicks) {
    out.push(
      `<line x1="${left}" y1="${num(py(y))}" x2="${right}" y2="${num(py(y))}" stroke="#eee"/><text class="tick" x="${left - 6}" y="${num(py(y) + 4)}" text-anchor="end">${escapeHtml(formatNumber(y, step))}</text>`,
    );
  }
  for (const x of xs) {
    out.push(
      `<text class="tick" x="${num(px(x))}" y="${bottom + 16}" text-anchor="middle">${escapeHtml(formatNumber(x))}</text>`,
    );
  }
  out.push(
    `<text class="axis-title" x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(parameter)}</text>`,
  );
  out.push(
    `<text class="axis-title" x="14" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + bottom) / 2})">${escapeHtml(`${unit}, p50`)}</text>`,
  );
  curve.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    // A skipped point breaks the line: each run of points the engine ran is its own polyline.
    const runs: number[][] = [[]];
    s.ys.forEach((y, k) => {
      if (y === undefined) runs.push([]);
      else runs[runs.length - 1]!.push(k);
    });
    for (const run of runs.filter((r) => r.length > 1)) {
      const points = run.map((k) => `${num(px(xs[k]!))},${num(py(s.ys[k]!))}`).join(' ');
      out.push(
        `<polyline class="series" points="${points}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeHtml(s.engine)}</title></polyline>`,
      );
    }
    s.ys.forEach((y, k) => {
      if (y === undefined) return;
      out.push(
        `<circle cx="${num(px(xs[k]!))}" cy="${num(py(y))}" r="3" fill="${color}"><title>${escapeHtml(`${s.engine} at ${parameter}=${xs[k]}: ${formatValue(y, unit)}`)}</title></circle>`,
      );
    });
    for (const k of curve.skipped.filter((k) => k.engine === s.engine)) {
      out.push(
        `<text class="skipped-point" x="${num(px(k.x))}" y="${bottom - 4}" text-anchor="middle" fill="${color}">×<title>${escapeHtml(`${s.engine} skipped at ${parameter}=${k.x}: ${k.reasons.join('; ')}`)}</title></text>`,
      );
    }
    out.push(
      `<rect x="${right + 14}" y="${top + i * 18}" width="10" height="10" fill="${color}"/><text class="legend-label" x="${right + 28}" y="${top + i * 18 + 9}">${escapeHtml(s.engine)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

/** An engine's column heading, free to break after its hyphens (vmware-workstation). */
function engineHeading(id: string): string {
  return escapeHtml(id).replace(/-/g, '-<wbr>');
}

function comparisonTable(input: HtmlInput, point: Point, idle: ReadonlySet<string>): string {
  const { rows } = point;
  const isSkipped = (id: string): boolean => point.skipped.some((cell) => cell.engine === id);
  const engines = input.result.engines.filter((e) => isSkipped(e.id) || rows.some((r) => r.engine === e.id));
  const head = `<tr><th></th>${engines.map((e) => `<th>${engineHeading(e.id)}<br><span class="kind">${escapeHtml(e.kind)}</span></th>`).join('')}</tr>`;
  const body = COMPARISON_ROWS.filter(({ metric }) => !idle.has(metric) && rows.some((r) => r.metric === metric)).map(
    ({ label, metric }) => {
      const cells = engines.map((engine) => {
        if (isSkipped(engine.id)) return '<td class="skipped">skipped</td>';
        const row = rows.find((r) => r.engine === engine.id && r.metric === metric);
        if (!row) return '<td>—</td>';
        const base = input.baseline?.rows.find(
          (r) =>
            r.engine === engine.id && r.metric === metric && JSON.stringify(r.params) === JSON.stringify(row.params),
        );
        const change = base ? formatChange(relativeChange(metric, base.p50, row.p50)) : '';
        return `<td>${escapeHtml(formatEstimate(row))}${base && base.p50 !== row.p50 ? `<br><span class="change">${escapeHtml(change)}</span>` : ''}</td>`;
      });
      return `<tr><th title="${escapeHtml(metric)}">${escapeHtml(label)}</th>${cells.join('')}</tr>`;
    },
  );
  return `<div class="table-fit"><table class="comparison">${head}${body.join('')}</table></div>`;
}

function gateSection(input: HtmlInput, gate: GateReport): string {
  const passed = gatePassed(gate);
  const verdict =
    input.mode === 'gate'
      ? `<p class="verdict ${passed ? 'pass' : 'fail'}">${passed ? 'Gate passed' : 'Gate FAILED'}: ${escapeHtml(countLine(gate))}</p>`
      : `<p class="verdict">What a gate would decide: ${escapeHtml(countLine(gate))}</p>`;
  const env = [
    ...gate.environment.blocking.map((d) => `<li class="blocking">${escapeHtml(formatDifferences([d])[0]!)}</li>`),
    ...gate.environment.informational.map(
      (d) => `<li>${escapeHtml(formatDifferences([d])[0]!)} (cannot move these figures)</li>`,
    ),
  ];
  const { header, rows } = tableCells(gate, { interval: input.mode === 'compare' });
  const table =
    `<table class="gate"><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>` +
    rows
      .map(
        (cells, i) =>
          `<tr class="${gate.checks[i]!.passed ? 'pass' : 'fail'}" title="${escapeHtml(gate.checks[i]!.verdict)}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
      )
      .join('') +
    '</table>';
  const failures = gate.checks.filter((c) => !c.passed);
  return [
    `<section id="gate"><h2>${input.mode === 'gate' ? 'Gate' : 'Comparison'}</h2>`,
    verdict,
    `<p class="meta">${escapeHtml(gate.baselineLabel)} → ${escapeHtml(gate.currentLabel)} · checks: ${escapeHtml(gate.source)}</p>`,
    env.length > 0 ? `<ul class="environment">${env.join('')}</ul>` : '',
    gate.warnings.map((w) => `<p class="warning">${escapeHtml(w)}</p>`).join(''),
    failures.length > 0
      ? `<ul class="failures">${failures.map((c) => `<li><b>${escapeHtml(engineLabel(c))}</b> ${escapeHtml(metricLabel(c))}: ${escapeHtml(c.verdict)}</li>`).join('')}</ul>`
      : '',
    table,
    '</section>',
  ].join('');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:14px 0 2px}
.meta{color:#666}.scale{color:#888;font-weight:normal}.kind{color:#888;font-weight:normal;font-size:12px}.change{color:#a05a00;font-size:12px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}th:first-child{text-align:left}
.table-fit{max-width:100%;overflow-x:auto}table.comparison{width:100%;font-size:12px}
table.comparison th,table.comparison td{padding:3px 4px}table.comparison th{font-weight:600}td.skipped{color:#9a6700}
@media (max-width:900px){table.comparison{font-size:11px}table.comparison th,table.comparison td{padding:2px 3px}}table.gate th:nth-child(2),table.gate th:nth-child(3){text-align:left}
table.gate td:nth-child(2),table.gate td:nth-child(3),table.gate td:last-child{text-align:left}
tr.fail td{background:#fde8e8}tr.pass td:first-child{color:#1a7f37;font-weight:bold}tr.fail td:first-child{color:#cf222e;font-weight:bold}
.verdict{font-weight:bold;padding:6px 10px;border-radius:4px;background:#f3f3f3}.verdict.pass{background:#dafbe1;color:#116329}.verdict.fail{background:#ffebe9;color:#a40e26}
.warning{color:#9a6700}.environment .blocking{color:#a40e26}
svg.chart{display:block;margin:4px 0 12px;max-width:100%;height:auto}svg text{font-size:12px;fill:#333}svg .note{fill:#888}svg .tick{fill:#666;font-size:11px}svg .axis-title{fill:#555;font-size:11px}svg .segment-label{font-size:10px}svg .skipped{fill:#9a6700}svg .skipped-point{font-size:14px;font-weight:bold}
.skipped-points{color:#9a6700;font-size:12px;margin:0 0 12px}
.claims li{margin:4px 0}.holds{color:#1a7f37}.fails{color:#cf222e}.na{color:#888}details{color:#555;font-size:12px}
`;

export function renderHtml(input: HtmlInput): string {
  const { result } = input;
  const point = firstPoint(result);
  const idle = idleOverheadMetrics(result.rows);
  const hw = result.hardware;
  const title = `virtbench${input.mode === 'gate' ? ' gate' : input.mode === 'compare' ? ' compare' : ''} · ${result.scenario.name}`;
  const sections: string[] = [];
  if (input.gate) sections.push(gateSection(input, input.gate));
  const pointParams = point.rows[0]?.params ?? point.skipped[0]?.params ?? {};
  const pointNote =
    result.sweepParameters.length > 0
      ? `<p class="meta">Bar charts at the first sweep point ${escapeHtml(JSON.stringify(pointParams))}; the sweeps follow as line charts.</p>`
      : '';

  const boot = bootChart(result, point);
  if (boot)
    sections.push(
      `<section id="boot"><h2>Boot time per engine</h2><p class="meta">Median boot time; each bar is split in proportion to the medians of its phases, each labelled by its name or its number in the legend.</p>${pointNote}${boot}</section>`,
    );
  const image = simpleChart(
    'chart-image',
    'Image size per engine (what one instance boots from)',
    result,
    point,
    'image_size',
  );
  if (image) sections.push(`<section id="image"><h2>Image size</h2>${image}</section>`);
  const density = simpleChart('chart-density', 'Instances per host', result, point, 'density', {
    note: (row) => (row.detail ? `(${row.detail})` : ''),
  });
  if (density) sections.push(`<section id="density"><h2>Density</h2>${density}</section>`);
  const overhead = overheadCharts(result, point, idle);
  const idleNote = idleOverheadNote(idle);
  if (overhead.length > 0 || idleNote)
    sections.push(
      `<section id="overhead"><h2>Overhead against native, per dimension</h2>${idleNote ? `<p class="warning">${escapeHtml(idleNote)}</p>` : ''}${overhead.join('')}</section>`,
    );
  const sweeps = [...sweepCharts(result, idle), ...surfaceCharts(result), ...densityCurveCharts(result)];
  if (sweeps.length > 0) sections.push(`<section id="sweeps"><h2>Sweeps</h2>${sweeps.join('')}</section>`);

  if (result.claims.length > 0) {
    const items = result.claims.map((claim) => {
      const [mark, cls] = claim.holds === null ? ['–', 'na'] : claim.holds ? ['✓', 'holds'] : ['✗', 'fails'];
      return `<li class="claim" data-holds="${cls}"><span class="${cls}">${mark}</span> ${escapeHtml(claim.text)}${claim.holds === null ? ' <span class="na">(not applicable)</span>' : ''}<details><summary>evidence</summary>${claim.evidence.map((e) => escapeHtml(e)).join('<br>')}</details></li>`;
    });
    sections.push(`<section id="claims"><h2>Claims</h2><ul class="claims">${items.join('')}</ul></section>`);
  }
  sections.push(
    `<section id="table"><h2>Comparison table</h2><p class="meta">p50 per engine${input.baseline ? ', with the change against the baseline' : ''}; ≈0 where a figure lies inside its own 95% confidence interval around zero.</p>${comparisonTable(input, point, idle)}</section>`,
  );
  if (result.skipped.length > 0) {
    const skipped = skippedLines(result.skipped);
    sections.push(
      `<section id="skipped"><h2>Skipped</h2><ul>${skipped.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul></section>`,
    );
  }
  if (result.notes.length > 0)
    sections.push(
      `<section id="notes"><h2>Notes</h2><ul>${collapseNotes(result.notes)
        .map((n) => `<li>${escapeHtml(n)}</li>`)
        .join('')}</ul></section>`,
    );

  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`,
    `<header><h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(result.scenario.description.trim())}</p>`,
    `<p class="meta">Modeled hardware ${escapeHtml(hw.id)} · seed ${result.seed} · ${result.repetitions} repetitions · virtbench ${escapeHtml(result.environment.virtbench)} on ${escapeHtml(result.environment.os)}</p></header>`,
    sections.join('\n'),
    '</body></html>',
    '',
  ].join('\n');
}
