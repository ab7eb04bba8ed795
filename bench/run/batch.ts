import { renderCsvRecords } from '../report/csv.js';
import { renderJsonRows } from '../report/json.js';
import type { ResultRow } from '../report/metrics.js';
import type { SkippedCell } from '../report/results.js';
import type { Scenario } from '../scenario/load.js';
import { runCell } from './cell.js';
import type { CellPlan, CellScenario } from './plan.js';

/**
 * Consecutive cells of one scenario, finished and already in the form the report files need:
 * their CSV records and their rows as the JSON result prints them, so the writer only writes
 * (pool workers encode the text as bytes first, see pool/encode.ts), and a cell reads the same
 * byte for byte whichever thread ran it. A run that writes no files renders no text.
 */
export interface CellBatch {
  readonly form: 'text';
  /** The cells in canonical order; together they are one unbroken run of the cells being run. */
  readonly cells: readonly CellSummary[];
  readonly csv: string;
  /** Every row of the batch as an element of the JSON result's `rows` array, joined with ",\n". */
  readonly json: string;
  readonly rowCount: number;
}

/** One finished cell as the writer needs it: the rows the in-memory result keeps (see Retention). */
export type CellSummary =
  | {
      readonly state: 'measured';
      readonly index: number;
      /** Rows the cell produced; the files get every one of them. */
      readonly rowCount: number;
      readonly rows: readonly ResultRow[];
      readonly notes: readonly string[];
    }
  | { readonly state: 'skipped'; readonly index: number; readonly skipped: SkippedCell };

/**
 * Which rows the in-memory result keeps. Small grids, and runs whose result is all they produce
 * (no files), keep every row with its samples. Large grids that stream to files keep what the
 * terminal report and the claims read: the rows of the first sweep point, the rows on each curve
 * (every other parameter at its first value) and the rows of metrics a claim checks, all without
 * their raw samples. The files on disk always hold every row.
 */
export type Retention =
  | { readonly keep: 'every-row' }
  | { readonly keep: 'curves-and-claims'; readonly claimMetrics: readonly string[] };

/** Up to this many cells, a run that writes files still keeps every row with its samples in memory. */
export const RETAIN_ALL_CELLS = 500;

export function retentionFor(scenario: Scenario, cellCount: number): Retention {
  if (cellCount <= RETAIN_ALL_CELLS) return { keep: 'every-row' };
  const claimMetrics = new Set<string>();
  for (const claim of scenario.claims) {
    for (const check of claim.checks) {
      claimMetrics.add(check.metric);
      if (check.than?.metric) claimMetrics.add(check.than.metric);
    }
  }
  return { keep: 'curves-and-claims', claimMetrics: [...claimMetrics] };
}

/** The grid's first sweep point: every parameter at its first value. */
function firstPoint(scenario: Pick<CellScenario, 'sweep'>): Readonly<Record<string, unknown>> {
  return Object.fromEntries(Object.entries(scenario.sweep).map(([key, values]) => [key, values[0]]));
}

export function keptRows(
  scenario: Pick<CellScenario, 'sweep'>,
  rows: readonly ResultRow[],
  plan: CellPlan,
  retention: Retention,
): ResultRow[] {
  if (retention.keep === 'every-row') return [...rows];
  const first = firstPoint(scenario);
  const differing = Object.keys(plan.point).filter((key) => plan.point[key] !== first[key]).length;
  return (
    rows
      .filter((row) => differing <= 1 || retention.claimMetrics.includes(row.metric))
      // A storm's timeline is a handful of buckets the terminal charts; other raw samples stay on disk.
      .map((row) => (row.metric === 'boot_storm.ready_per_second' ? row : { ...row, samples: [] }))
  );
}

/** What a batch produces besides its cells: which rows to keep, and whether to render report text. */
export interface BatchOutput {
  readonly retention: Retention;
  readonly text: boolean;
}

/** Runs consecutive cells of one scenario and renders them into a CellBatch. */
export async function runBatch(
  scenario: CellScenario,
  plans: readonly CellPlan[],
  output: BatchOutput,
): Promise<CellBatch> {
  const cells: CellSummary[] = [];
  const rows: ResultRow[] = [];
  for (const plan of plans) {
    const outcome = await runCell(scenario, plan);
    if (outcome.state === 'skipped') {
      cells.push({ state: 'skipped', index: plan.index, skipped: outcome.skipped });
      continue;
    }
    for (const row of outcome.rows) rows.push(row);
    cells.push({
      state: 'measured',
      index: plan.index,
      rowCount: outcome.rows.length,
      rows: keptRows(scenario, outcome.rows, plan, output.retention),
      notes: outcome.notes,
    });
  }
  if (!output.text) return { form: 'text', cells, csv: '', json: '', rowCount: rows.length };
  const parameters = Object.keys(scenario.sweep);
  return {
    form: 'text',
    cells,
    csv: renderCsvRecords(rows, parameters),
    json: renderJsonRows(rows),
    rowCount: rows.length,
  };
}
