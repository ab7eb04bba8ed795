import { stringify } from 'csv-stringify/sync';
import { createColors } from 'picocolors';
import { formatNumber } from '../report/format.js';
import {
  type CrossValidatedRow,
  type CrossValidation,
  type CrossValidationLimits,
  offByFactor,
  type SchemeSummary,
} from './cross-validate.js';
import type { Scheme } from './cross-validate-fit.js';

/** What each scheme holds out, in words. */
const SCHEME_TITLES: Readonly<Record<Scheme, string>> = {
  study: 'leave one study out',
  benchmark: 'leave one benchmark out',
};

const round = (value: number | undefined): string | number => (value === undefined ? '' : Number(value.toPrecision(6)));

/** cross-validation.csv: one row per published measurement, its out-of-sample prediction under each scheme. */
export function renderCrossValidationCsv(cv: CrossValidation): string {
  const schemes = Object.keys(cv.folds) as Scheme[];
  return stringify(
    [
      [
        'id',
        'study',
        'benchmark',
        'engine',
        'unit',
        'gated',
        'baseline',
        'published',
        'in_sample_model',
        ...schemes.flatMap((s) => [`${s}_model`, `${s}_error_pct`, `${s}_still_in_sample`]),
      ],
      ...cv.rows.map((r) => [
        r.id,
        r.study,
        r.benchmark,
        r.engine,
        r.unit,
        r.gated ? 'yes' : 'no',
        r.baseline ?? '',
        round(r.published),
        round(r.inSample),
        ...schemes.flatMap((s) => [
          round(r.outOfSample[s].model),
          round(r.outOfSample[s].errorPct),
          r.outOfSample[s].inSample ? 'yes' : 'no',
        ]),
      ]),
    ],
    { record_delimiter: '\n' },
  );
}

/** cross-validation-parameters.csv: for each held-out set, what became of each parameter it had set. */
export function renderCrossValidationParametersCsv(cv: CrossValidation): string {
  const records: (string | number)[][] = [['scheme', 'held_out', 'parameter', 'outcome', 'published', 'value', 'from']];
  for (const [scheme, folds] of Object.entries(cv.folds)) {
    for (const fold of folds) {
      for (const p of fold.refitted)
        records.push([scheme, fold.heldOut, p.id, 'refitted', round(p.published), round(p.fitted), p.rows.join('; ')]);
      for (const p of fold.fellBack)
        records.push([scheme, fold.heldOut, p.id, 'prior', round(p.published), round(p.fitted), p.prior]);
      for (const p of fold.kept)
        records.push([scheme, fold.heldOut, p.id, 'kept', round(p.value), round(p.value), p.why]);
    }
  }
  return stringify(records, { record_delimiter: '\n' });
}

export interface CrossValidationReportOptions {
  readonly color: boolean;
  readonly limits: CrossValidationLimits;
  readonly seconds: number;
}

function formatError(errorPct: number | undefined, inSample: boolean | undefined): string {
  if (errorPct === undefined) return 'no value';
  const text = `${errorPct >= 0 ? '+' : ''}${formatNumber(errorPct)}%`;
  return inSample ? `${text} (in sample)` : text;
}

function table(
  rows: readonly CrossValidatedRow[],
  schemes: readonly Scheme[],
  limits: CrossValidationLimits,
): string[] {
  const head = ['row', 'engine', 'published', 'in sample', ...schemes.flatMap((s) => [`${s} out`, 'error'])];
  const body = rows.map((r) => [
    r.id,
    r.engine,
    `${formatNumber(r.published)} ${r.unit}`,
    r.inSample === undefined ? '—' : formatNumber(r.inSample),
    ...schemes.flatMap((s) => {
      const p = r.outOfSample[s];
      const flag = r.gated && !p.inSample && offByFactor(p) > limits.maxFactor ? ' ✗' : '';
      return [p.model === undefined ? '—' : formatNumber(p.model), `${formatError(p.errorPct, p.inSample)}${flag}`];
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    line(head),
    ...body.map((row, i) => (i > 0 && rows[i - 1]!.study !== rows[i]!.study ? `\n${line(row)}` : line(row))),
  ];
}

function foldLines(cv: CrossValidation): string[] {
  const lines: string[] = [];
  for (const [scheme, folds] of Object.entries(cv.folds) as [Scheme, CrossValidation['folds'][Scheme]][]) {
    lines.push('', `${SCHEME_TITLES[scheme]}: what each held-out set had set`);
    for (const fold of folds) {
      if (fold.refitted.length + fold.fellBack.length + fold.kept.length === 0) {
        lines.push(`  ${fold.heldOut}: no parameter cites its rows`);
        continue;
      }
      lines.push(`  ${fold.heldOut}:`);
      for (const p of fold.refitted)
        lines.push(
          `    re-fitted ${p.id}: ${formatNumber(p.published)} → ${formatNumber(p.fitted)} from ${p.rows.join(', ')}`,
        );
      for (const p of fold.fellBack)
        lines.push(`    prior     ${p.id}: ${formatNumber(p.published)} → ${formatNumber(p.fitted)}, ${p.prior}`);
      for (const p of fold.kept) lines.push(`    kept      ${p.id} = ${formatNumber(p.value)}: ${p.why}`);
    }
  }
  return lines;
}

/** One line per scheme: rows scored, median and worst error, and whether it passes. */
export function renderCrossValidationSummary(
  summaries: readonly SchemeSummary[],
  cv: CrossValidation,
  options: CrossValidationReportOptions,
): string {
  const c = createColors(options.color);
  const lines = [
    `${cv.rows.length} rows, ${cv.parameters} parameters that cite a row · ${formatNumber(options.seconds)} s`,
  ];
  for (const s of summaries) {
    const worst = s.worst
      ? ` · worst ${s.worst.id} ${formatError(s.worst.outOfSample[s.scheme].errorPct, false)} (×${formatNumber(offByFactor(s.worst.outOfSample[s.scheme]))})`
      : '';
    const left = s.inSample > 0 ? ` (${s.inSample} gated rows left out: a parameter they set has no prior)` : '';
    const verdict = s.passed
      ? c.green('✓')
      : c.red(
          `✗${s.medianAbsErrorPct > options.limits.medianPct ? ' median over the limit' : ''}${s.failing.length > 0 ? ` · ${s.failing.length} rows off by more than ${formatNumber(options.limits.maxFactor)}×` : ''}`,
        );
    lines.push(
      `${SCHEME_TITLES[s.scheme]}: ${s.rows} gated rows${left} · median |error| ${formatNumber(s.medianAbsErrorPct)}% (limit ${formatNumber(options.limits.medianPct)}%)${worst} ${verdict}`,
    );
  }
  return lines.join('\n');
}

export function renderCrossValidation(
  summaries: readonly SchemeSummary[],
  cv: CrossValidation,
  options: CrossValidationReportOptions,
): string {
  const schemes = summaries.map((s) => s.scheme);
  return [
    ...table(cv.rows, schemes, options.limits),
    ...foldLines(cv),
    '',
    'out of sample: each held-out set is predicted by the model re-fitted without it; ✗ marks a gated row off by more',
    `than ${formatNumber(options.limits.maxFactor)}× either way.`,
    '',
    renderCrossValidationSummary(summaries, cv, options),
  ].join('\n');
}
