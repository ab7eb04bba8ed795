import asciichart from 'asciichart';
import { stringify } from 'csv-stringify/sync';
import { createColors } from 'picocolors';
import { formatNumber } from '../report/format.js';
import type { CalibrationRow, CalibrationSummary } from './calibrate.js';

/** calibration.csv: one row per published measurement, the model's value beside it. */
export const CALIBRATION_COLUMNS = [
  'id',
  'study',
  'benchmark',
  'engine',
  'unit',
  'verified',
  'gated',
  'baseline',
  'published',
  'model',
  'published_ratio',
  'model_ratio',
  'error_pct',
  'sets_parameters',
  'problem',
] as const;

const round = (value: number | undefined): string | number => (value === undefined ? '' : Number(value.toPrecision(6)));

export function renderCalibrationCsv(rows: readonly CalibrationRow[]): string {
  return stringify(
    [
      [...CALIBRATION_COLUMNS],
      ...rows.map((r) => [
        r.id,
        r.study,
        r.benchmark,
        r.engine,
        r.unit,
        r.verified,
        r.gated ? 'yes' : 'no',
        r.baseline ?? '',
        round(r.published),
        round(r.model),
        round(r.publishedRatio),
        round(r.modelRatio),
        round(r.errorPct),
        r.setsParameters.join('; '),
        r.problem ?? '',
      ]),
    ],
    { record_delimiter: '\n' },
  );
}

export interface CalibrationReportOptions {
  readonly color: boolean;
  readonly tolerancePct: number;
  readonly medianTolerancePct: number;
}

function formatError(errorPct: number | undefined): string {
  if (errorPct === undefined) return 'n/a';
  const text = `${errorPct >= 0 ? '+' : ''}${errorPct.toFixed(1)}%`;
  return text === '-0.0%' ? '+0.0%' : text;
}

function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? 'n/a' : ratio.toPrecision(4);
}

function table(lines: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = lines[0]!.map((_, col) => Math.max(...lines.map((l) => (l[col] ?? '').length)));
  return lines.map((l) =>
    l
      .map((v, col) => (rightAligned.has(col) ? v.padStart(widths[col]!) : v.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The table: one line per published row with its value, the model's, and the error, and what it
 * was compared as. Rows that set a parameter say so (fit); the rest test the model (check).
 */
export function renderCalibration(
  rows: readonly CalibrationRow[],
  summary: CalibrationSummary,
  options: CalibrationReportOptions,
): string {
  const c = createColors(options.color);
  const out: string[] = [];
  out.push(
    c.bold('virtbench calibrate') +
      c.dim(
        ` · ${rows.length} published rows · tolerance ${options.tolerancePct}% on rows read or derived from a source`,
      ),
  );
  out.push('');
  const header = ['id', 'engine', 'published', 'model', 'error', 'compared', 'role'];
  const body = rows.map((r) => {
    const compared = r.baseline
      ? `÷ ${r.baseline}: ${formatRatio(r.publishedRatio)} vs ${formatRatio(r.modelRatio)}`
      : 'absolute';
    const role = !r.gated ? `not gated (${r.verified})` : r.setsParameters.length > 0 ? 'fit' : 'check';
    return [
      r.id,
      r.engine,
      `${formatNumber(r.published)} ${r.unit}`,
      r.model === undefined ? 'n/a' : `${formatNumber(r.model)} ${r.unit}`,
      formatError(r.errorPct),
      compared,
      role,
    ];
  });
  const lines = table([header, ...body], new Set([2, 3, 4]));
  out.push(c.bold(lines[0]!));
  let study = '';
  lines.slice(1).forEach((line, i) => {
    const row = rows[i]!;
    if (row.study !== study) {
      study = row.study;
      out.push(c.cyan(`· ${study}`));
    }
    const failed = row.gated && (row.errorPct === undefined || Math.abs(row.errorPct) > options.tolerancePct);
    out.push(failed ? c.red(line) : row.gated ? line : c.dim(line));
    if (row.problem) out.push(c.yellow(`    ${row.problem}`));
  });
  out.push('');
  out.push(
    c.dim(
      'fit: a parameter read or derived from this row sets the model, so the row checks the mechanism that uses it; check: no parameter comes from it.',
    ),
  );
  out.push('');
  const chart = errorChart(rows, options.tolerancePct, c.isColorSupported);
  if (chart) out.push(chart, '');
  out.push(renderCalibrationSummary(summary, options));
  return `${out.join('\n')}\n`;
}

/** The verdict alone: rows, median and worst error, and what failed. */
export function renderCalibrationSummary(summary: CalibrationSummary, options: CalibrationReportOptions): string {
  const c = createColors(options.color);
  const worst = summary.worst ? `${summary.worst.id} ${formatError(summary.worst.errorPct)}` : 'none';
  const checks =
    summary.medianAbsCheckErrorPct === undefined
      ? 'none'
      : `${summary.medianAbsCheckErrorPct.toFixed(2)}% over its ${summary.checks} check rows`;
  const medianOk = summary.medianAbsErrorPct <= options.medianTolerancePct;
  const lines = [
    `${summary.rows} rows, ${summary.gated} gated · median |error| ${summary.medianAbsErrorPct.toFixed(2)}% (limit ${options.medianTolerancePct}%; ${checks}) · worst ${worst}`,
  ];
  if (summary.failing.length === 0 && medianOk)
    lines.push(c.green(`✓ every gated row within ${options.tolerancePct}%`));
  if (summary.failing.length > 0) {
    lines.push(
      c.red(
        `✗ ${summary.failing.length} gated row(s) beyond ${options.tolerancePct}%: ${summary.failing.map((r) => r.id).join(', ')}`,
      ),
    );
  }
  if (!medianOk)
    lines.push(
      c.red(`✗ median |error| ${summary.medianAbsErrorPct.toFixed(2)}% is above ${options.medianTolerancePct}%`),
    );
  return lines.join('\n');
}

/**
 * Model against published, row by row: the model's value as a percentage of the published one
 * (100 = exact), between lines at the tolerance. Gated rows only, clipped to three tolerances.
 */
export function errorChart(rows: readonly CalibrationRow[], tolerancePct: number, color: boolean): string | undefined {
  const plotted = rows.filter((r) => r.gated && r.errorPct !== undefined);
  if (plotted.length < 2) return undefined;
  const limit = 3 * tolerancePct;
  const model = plotted.map((r) => 100 + Math.max(-limit, Math.min(limit, r.errorPct!)));
  const flat = (value: number) => plotted.map(() => value);
  const series = [flat(100 + tolerancePct), flat(100 - tolerancePct), flat(100), model];
  const colors = [asciichart.darkgray, asciichart.darkgray, asciichart.green, asciichart.yellow];
  const plot = asciichart.plot(series, {
    height: 12,
    min: 100 - limit,
    max: 100 + limit,
    colors: color ? colors : undefined,
    format: (y: number) => `${y.toFixed(0)}%`.padStart(6),
  });
  const legend = color
    ? `${asciichart.yellow}■${asciichart.reset} model  ${asciichart.green}■${asciichart.reset} published (100%)  ${asciichart.darkgray}■${asciichart.reset} ±${tolerancePct}%`
    : '4: model  3: published (100%)  1, 2: ±tolerance';
  return [
    `model vs published, % of the published value (${plotted.length} gated rows in table order, clipped at ±${limit}%)`,
    plot,
    `  ${legend}`,
  ].join('\n');
}
