import { stringify } from 'csv-stringify/sync';
import type { ResultRow } from './metrics.js';
import type { RunResult } from './results.js';

/** The fixed columns, in order; one `param_<name>` column per sweep parameter follows them. */
export const CSV_COLUMNS = [
  'scenario',
  'engine',
  'kind',
  'driver',
  'hardware',
  'metric',
  'unit',
  'n',
  'mean',
  'p50',
  'p95',
  'p99',
  'min',
  'max',
  'stddev',
  'ci95_low',
  'ci95_high',
  'detail',
] as const;

export function csvHeader(sweepParameters: readonly string[]): string[] {
  return [...CSV_COLUMNS, ...sweepParameters.map((p) => `param_${p}`)];
}

export function csvRecord(row: ResultRow, sweepParameters: readonly string[]): (string | number)[] {
  return [
    row.scenario,
    row.engine,
    row.kind,
    row.driver,
    row.hardware,
    row.metric,
    row.unit,
    row.n,
    row.mean,
    row.p50,
    row.p95,
    row.p99,
    row.min,
    row.max,
    row.stddev,
    row.ci95Low,
    row.ci95High,
    row.detail,
    ...sweepParameters.map((p) => {
      const value = row.params[p];
      return value === undefined ? '' : String(value);
    }),
  ];
}

/** Tidy long format: one row per engine x metric x sweep point. */
export function renderCsv(result: Pick<RunResult, 'rows' | 'sweepParameters'>): string {
  return stringify(
    [csvHeader(result.sweepParameters), ...result.rows.map((row) => csvRecord(row, result.sweepParameters))],
    {
      record_delimiter: '\n',
    },
  );
}

/** Only the records, for streaming rows to a file as cells finish. */
export function renderCsvRecords(rows: readonly ResultRow[], sweepParameters: readonly string[]): string {
  if (rows.length === 0) return '';
  return stringify(
    rows.map((row) => csvRecord(row, sweepParameters)),
    { record_delimiter: '\n' },
  );
}
