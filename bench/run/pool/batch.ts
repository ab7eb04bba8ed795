import { renderCsvRecords } from '../../report/csv.js';
import { renderJsonRows } from '../../report/json.js';
import type { ResultRow } from '../../report/metrics.js';
import type { SkippedCell } from '../../report/results.js';
import type { Scenario } from '../../scenario/load.js';
import { type CellPlan, type CellScenario, runCell } from '../runner.js';

/**
 * Consecutive cells of one scenario, finished and already in the form the report files need:
 * their CSV records and their rows as the JSON result prints them, so the main thread only writes
 * (workers encode the text as bytes first, see encode.ts), and a cell reads the same byte for byte
 * whichever thread ran it.
 */
export interface CellBatch {
  /** The cells in canonical order; together they are one unbroken run of the cells being run. */
  readonly cells: readonly CellSummary[];
  readonly csv: string;
  /** Every row of the batch as an element of the JSON result's `rows` array, joined with ",\n". */
  readonly json: string;
  readonly rowCount: number;
}

export interface CellSummary {
  readonly index: number;
  readonly rowCount: number;
  /** The rows the in-memory result keeps (see Retention). */
  readonly rows: readonly ResultRow[];
  readonly skipped?: SkippedCell;
  readonly notes: readonly string[];
}

/**
 * Which rows the in-memory result keeps once they are on disk. Small grids keep every row. Large
 * grids keep what the terminal report and the claims read: the rows of the first sweep point, the
 * rows on each curve (every other parameter at its first value) and the rows of metrics a claim
 * checks, all without their raw samples. The files on disk always hold every row.
 */
export interface Retention {
  readonly all: boolean;
  readonly claimMetrics: readonly string[];
}

/** Up to this many cells, the in-memory result keeps every row with its samples. */
export const RETAIN_ALL_CELLS = 500;

export function retentionFor(scenario: Scenario, cellCount: number): Retention {
  const claimMetrics = new Set<string>();
  for (const claim of scenario.claims) {
    for (const check of claim.checks) {
      claimMetrics.add(check.metric);
      if (check.than?.metric) claimMetrics.add(check.than.metric);
    }
  }
  return { all: cellCount <= RETAIN_ALL_CELLS, claimMetrics: [...claimMetrics] };
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
  if (retention.all) return [...rows];
  const first = firstPoint(scenario);
  const differing = Object.keys(plan.point).filter((key) => plan.point[key] !== first[key]).length;
  return (
    rows
      .filter((row) => differing <= 1 || retention.claimMetrics.includes(row.metric))
      // A storm's timeline is a handful of buckets the terminal charts; other raw samples stay on disk.
      .map((row) => (row.metric === 'boot_storm.ready_per_second' ? row : { ...row, samples: [] }))
  );
}

/** Runs consecutive cells of one scenario and renders them into a CellBatch. */
export async function runBatch(
  scenario: CellScenario,
  plans: readonly CellPlan[],
  retention: Retention,
): Promise<CellBatch> {
  const parameters = Object.keys(scenario.sweep);
  const cells: CellSummary[] = [];
  const rows: ResultRow[] = [];
  for (const plan of plans) {
    const outcome = await runCell(scenario, plan);
    for (const row of outcome.rows) rows.push(row);
    cells.push({
      index: plan.index,
      rowCount: outcome.rows.length,
      rows: keptRows(scenario, outcome.rows, plan, retention),
      ...(outcome.skipped ? { skipped: outcome.skipped } : {}),
      notes: outcome.notes,
    });
  }
  return { cells, csv: renderCsvRecords(rows, parameters), json: renderJsonRows(rows), rowCount: rows.length };
}
