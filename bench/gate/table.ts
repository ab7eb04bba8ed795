import { createColors } from 'picocolors';
import { formatValue } from '../report/format.js';
import { formatChange } from './change.js';
import { CORRECTION_NAMES } from './correction.js';
import { formatDifferences } from './environment.js';
import { type CheckResult, formatP, type GateReport, gatePassed, pointLabel } from './evaluate.js';

/**
 * The gate's verdict as text: one line per check (P/F, engine, metric, baseline, current, change,
 * p-value, threshold), then a count line. `compare` prints the same table with an interval column.
 */

export interface TableOptions {
  readonly color: boolean;
  /** Add the bootstrap interval of each change (compare). */
  readonly interval?: boolean;
  /** Show the P/F column as what a gate would decide, without failing (compare). */
  readonly verdictHeading?: string;
}

/** A value in the row's unit; CoV is a fraction shown as a percentage. */
export function formatCheckValue(check: CheckResult, value: number | undefined): string {
  if (value === undefined) return '—';
  if (check.stat === 'CoV') return `${(value * 100).toFixed(1)}%`;
  return formatValue(value, check.unit);
}

export function formatPValue(check: CheckResult): string {
  if (check.type === 'band') return '—';
  if (check.adjustedP === undefined) return '—';
  if (check.exact) return 'exact';
  return formatP(check.adjustedP);
}

export function formatInterval(check: CheckResult): string {
  if (!check.interval) return '—';
  if (check.exact) return 'exact';
  return `${formatChange(check.interval[0])} … ${formatChange(check.interval[1])}`;
}

export function engineLabel(check: CheckResult): string {
  const point = pointLabel(check.params);
  return point ? `${check.engine} [${point}]` : check.engine;
}

export function metricLabel(check: CheckResult): string {
  return `${check.metric} (${check.stat})`;
}

/** Header and body cells, shared with the Markdown report so both show the same table. */
export function tableCells(
  report: GateReport,
  options: { interval?: boolean } = {},
): { header: string[]; rows: string[][] } {
  const header = [
    'P/F',
    'engine',
    'metric',
    'baseline',
    'current',
    'change',
    ...(options.interval ? [`${Math.round(report.confidence * 100)}% CI`] : []),
    'p-value',
    'threshold',
  ];
  const rows = report.checks.map((check) => [
    check.passed ? 'P' : 'F',
    engineLabel(check),
    metricLabel(check),
    formatCheckValue(check, check.baseline),
    formatCheckValue(check, check.current),
    formatChange(check.changePercent),
    ...(options.interval ? [formatInterval(check)] : []),
    formatPValue(check),
    check.threshold,
  ]);
  return { header, rows };
}

export function countLine(report: GateReport): string {
  const failed = report.checks.filter((c) => !c.passed).length;
  const total = report.checks.length;
  const method = `${CORRECTION_NAMES[report.correction]} over ${report.familySize} A/B test${report.familySize === 1 ? '' : 's'}, ${report.resamples} resamples, seed ${report.seed}`;
  return failed === 0
    ? `${total} of ${total} checks hold, 0 failed · ${method}`
    : `${failed} of ${total} checks failed, ${total - failed} hold · ${method}`;
}

export function renderGateTable(report: GateReport, options: TableOptions): string {
  const c = createColors(options.color);
  const { header, rows } = tableCells(report, options);
  const numeric = new Set([3, 4, 5, 6, 7].map((i) => i));
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, col) =>
        col === cells.length - 1
          ? cell
          : numeric.has(col) && col < header.length - 1
            ? cell.padStart(widths[col]!)
            : cell.padEnd(widths[col]!),
      )
      .join('  ');
  const out: string[] = [];
  out.push(c.dim(`${report.baselineLabel} → ${report.currentLabel} · checks: ${report.source}`));
  const env = report.environment;
  if (env.informational.length > 0)
    out.push(c.dim(`differs, cannot move these figures: ${formatDifferences(env.informational).join('; ')}`));
  for (const warning of report.warnings) out.push(c.yellow(`warning: ${warning}`));
  out.push(c.bold(line(header)));
  report.checks.forEach((check, i) => {
    const text = line(rows[i]!);
    out.push(check.passed ? text.replace(/^P/, c.green('P')) : c.red(text));
  });
  const failures = report.checks.filter((check) => !check.passed);
  if (failures.length > 0) {
    out.push('');
    for (const check of failures) out.push(c.red(`F ${engineLabel(check)} ${metricLabel(check)}: ${check.verdict}`));
  }
  out.push('');
  const count = countLine(report);
  out.push(
    options.verdictHeading
      ? `${options.verdictHeading}: ${count}`
      : gatePassed(report)
        ? c.green(`gate passed: ${count}`)
        : c.red(`gate FAILED: ${count}`),
  );
  return `${out.join('\n')}\n`;
}
