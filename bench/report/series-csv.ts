import { stringify } from 'csv-stringify/sync';
import { SERIES_METRICS } from '../../engines/metrics.js';
import type { ResultRow } from './metrics.js';
import type { RunResult } from './results.js';

/**
 * The curves a run measured as series rather than repetitions (density to failure after each
 * batch), one CSV row per point: the main CSV
 * summarises each metric in one row, which would hide the curve. Pure: a function of the result.
 */
export const SERIES_CSV_COLUMNS = ['scenario', 'engine', 'driver', 'metric', 'unit', 'point', 'x_name', 'x', 'value'];

export function hasSeries(result: Pick<RunResult, 'rows'>): boolean {
  return result.rows.some((row) => Object.hasOwn(SERIES_METRICS, row.metric) && row.samples.length > 0);
}

export function renderSeriesCsv(result: Pick<RunResult, 'rows' | 'sweepParameters'>): string {
  const records: (string | number)[][] = [];
  const sameCell = (a: ResultRow, b: ResultRow): boolean =>
    a.engine === b.engine && a.driver === b.driver && JSON.stringify(a.params) === JSON.stringify(b.params);
  for (const row of result.rows) {
    const series = SERIES_METRICS[row.metric];
    if (!series) continue;
    const xs = result.rows.find((r) => r.metric === series.x && sameCell(r, row))?.samples;
    row.samples.forEach((value, point) => {
      records.push([
        row.scenario,
        row.engine,
        row.driver,
        row.metric,
        row.unit,
        point,
        series.x,
        xs?.[point] ?? point,
        value,
        ...result.sweepParameters.map((p) => (row.params[p] === undefined ? '' : String(row.params[p]))),
      ]);
    });
  }
  return stringify(records, {
    header: true,
    columns: [...SERIES_CSV_COLUMNS, ...result.sweepParameters.map((p) => `param_${p}`)],
  });
}
