import { stringify } from 'csv-stringify/sync';
import { commitStaged, discardStaged, StagedFile } from '../../engines/shared/staged-file.js';
import { csvHeader } from '../report/csv.js';
import { jsonAroundRows } from '../report/json.js';
import type { ResultRow } from '../report/metrics.js';
import type { RunResult, SkippedCell } from '../report/results.js';
import type { Scenario } from '../scenario/load.js';
import type { CellOutcome } from './cell.js';
import { evaluateClaims } from './claims.js';
import type { BatchSink, FinishedBatch } from './executor.js';
import type { CellPlan } from './plan.js';
import type { EncodedBatch } from './pool/encode.js';
import { assembleResult, type ResultOrigin } from './result.js';

/** The two report files a run streams to: `<base>.csv` and `<base>.json`. */
export interface ReportFiles {
  readonly csv: string;
  readonly json: string;
}

export function reportFiles(base: string): ReportFiles {
  return { csv: `${base}.csv`, json: `${base}.json` };
}

/** Written buffers kept for reuse; beyond these, the garbage collector takes them. */
const MOST_SPARE_BUFFERS = 8;

export interface WriterOptions {
  /** Called whenever a batch arrives, with the cells finished so far, written or not. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called for each cell in canonical order once it is written; `rows` holds the rows the result keeps. */
  readonly onCellDone?: (outcome: CellOutcome, done: number, total: number) => void;
  /** Last changes to the result before its JSON is completed, such as a shard's record. */
  readonly finish?: (result: RunResult) => RunResult;
}

/**
 * The run's one writer. It takes finished batches in any order, writes them in canonical order
 * (holding early finishers back until the cells before them are in) to the staged report files,
 * if the run has any, and keeps the retained rows, skipped cells and notes for the in-memory
 * result. Every report is rendered from what passes through here.
 */
export class ReportWriter implements BatchSink {
  /** Finished batches that wait for earlier cells, by the index of their first cell. */
  private readonly waiting = new Map<number, FinishedBatch>();
  private readonly spare: ArrayBuffer[] = [];
  private position = 0;
  /** The first real-driver cell: model batches after it wait for the end of the run, when real cells run. */
  private readonly realBarrier: number;
  private settledModelCells = 0;
  private delivered = 0;
  private progressWaiters: (() => void)[] = [];
  private readonly kept: ResultRow[] = [];
  private readonly skipped: SkippedCell[] = [];
  private readonly notes: string[] = [];
  /** Rows the run produced so far: in the files, when it writes any. */
  rowsWritten = 0;

  private constructor(
    private readonly scenario: Scenario,
    private readonly order: readonly CellPlan[],
    private readonly files: { readonly csv: StagedFile; readonly json: StagedFile } | undefined,
    private readonly origin: ResultOrigin,
    private readonly options: WriterOptions,
  ) {
    this.realBarrier =
      order.find((plan) => scenario.engines[plan.engineIndex]!.engine.driver === 'real')?.index ?? Infinity;
  }

  /** Opens the staged files, if any, and writes what precedes the rows. */
  static async open(
    scenario: Scenario,
    order: readonly CellPlan[],
    paths: ReportFiles | undefined,
    origin: ResultOrigin,
    options: WriterOptions,
  ): Promise<ReportWriter> {
    let files: { csv: StagedFile; json: StagedFile } | undefined;
    if (paths) {
      const csv = await StagedFile.open(paths.csv);
      const json = await StagedFile.open(paths.json).catch(async (error: unknown) => {
        await discardStaged([csv]);
        throw error;
      });
      files = { csv, json };
    }
    const writer = new ReportWriter(scenario, order, files, origin, options);
    try {
      await writer.start();
    } catch (error) {
      await writer.discard();
      throw error;
    }
    return writer;
  }

  private async start(): Promise<void> {
    if (!this.files) return;
    await this.files.csv.write(stringify([csvHeader(Object.keys(this.scenario.sweep))], { record_delimiter: '\n' }));
    const { head } = jsonAroundRows(assembleResult(this.scenario, [], this.origin));
    await this.files.json.write(head);
  }

  settled(): number {
    return this.settledModelCells;
  }

  progress(): Promise<void> {
    return new Promise((resolve) => this.progressWaiters.push(resolve));
  }

  spareBuffer(): ArrayBuffer | undefined {
    return this.spare.pop();
  }

  async deliver(batch: FinishedBatch): Promise<void> {
    await this.accept(batch);
    this.delivered += batch.cells.length;
    this.options.onProgress?.(this.delivered, this.order.length);
  }

  private async accept(batch: FinishedBatch): Promise<void> {
    const first = batch.cells[0];
    if (!first) return;
    // A batch behind a real-driver cell waits for the real cells, which run once every model cell
    // has: it is settled now, and keeps only the bytes it uses, so its buffer goes back to the workers.
    const behindRealCell = first.index > this.realBarrier;
    if (behindRealCell) this.settledModelCells += batch.cells.length;
    this.waiting.set(first.index, behindRealCell && batch.form === 'bytes' ? this.compacted(batch) : batch);
    if (behindRealCell) this.signalProgress();
    for (;;) {
      const plan = this.order[this.position];
      const ready = plan === undefined ? undefined : this.waiting.get(plan.index);
      if (!ready) return;
      this.waiting.delete(plan!.index);
      if (plan!.index < this.realBarrier) this.settledModelCells += ready.cells.length;
      await this.write(ready);
      this.rowsWritten += ready.rowCount;
      for (const cell of ready.cells) {
        const cellPlan = this.order[this.position]!;
        if (cellPlan.index !== cell.index)
          throw new Error(`cell ${cell.index} arrived where cell ${cellPlan.index} belongs`);
        this.position++;
        let outcome: CellOutcome;
        if (cell.state === 'skipped') {
          this.skipped.push(cell.skipped);
          outcome = { state: 'skipped', plan: cellPlan, skipped: cell.skipped };
        } else {
          for (const row of cell.rows) this.kept.push(row);
          for (const note of cell.notes) this.notes.push(note);
          outcome = { state: 'measured', plan: cellPlan, rows: cell.rows, notes: cell.notes };
        }
        this.options.onCellDone?.(outcome, this.position, this.order.length);
      }
      this.signalProgress();
    }
  }

  private async write(batch: FinishedBatch): Promise<void> {
    if (!this.files) return;
    const separator = this.rowsWritten === 0 ? '\n' : ',\n';
    if (batch.form === 'bytes') {
      await this.writeEncoded(batch, separator);
      return;
    }
    await this.files.csv.write(batch.csv);
    if (batch.rowCount > 0) {
      await this.files.json.write(separator);
      await this.files.json.write(batch.json);
    }
  }

  private signalProgress(): void {
    const waiters = this.progressWaiters;
    this.progressWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private compacted(batch: EncodedBatch): EncodedBatch {
    const buffer = batch.buffer.slice(0, batch.csvBytes + batch.jsonBytes);
    if (this.spare.length < MOST_SPARE_BUFFERS) this.spare.push(batch.buffer);
    return { ...batch, buffer };
  }

  /** Writes a worker's bytes; its buffer becomes spare once both files have them. */
  private async writeEncoded(batch: EncodedBatch, separator: string): Promise<void> {
    const files = this.files!;
    let writes = batch.rowCount > 0 ? 2 : 1;
    const written = (): void => {
      if (--writes === 0 && this.spare.length < MOST_SPARE_BUFFERS) this.spare.push(batch.buffer);
    };
    await files.csv.writeBytes(new Uint8Array(batch.buffer, 0, batch.csvBytes), written);
    if (batch.rowCount > 0) {
      await files.json.write(separator);
      await files.json.writeBytes(new Uint8Array(batch.buffer, batch.csvBytes, batch.jsonBytes), written);
    }
  }

  /** Completes the result and the files, and renames the files into place together. */
  async finish(): Promise<RunResult> {
    if (this.position !== this.order.length)
      throw new Error(`${this.order.length - this.position} cells never finished`);
    const skeleton = assembleResult(this.scenario, [], this.origin);
    const claims = evaluateClaims(this.scenario, this.kept, skeleton.engines);
    const assembled: RunResult = { ...skeleton, skipped: this.skipped, notes: this.notes, claims };
    const final = this.options.finish ? this.options.finish(assembled) : assembled;
    if (this.files) {
      const { tail } = jsonAroundRows(final);
      await this.files.json.write(this.rowsWritten > 0 ? `\n  ${tail}\n` : `${tail}\n`);
      await commitStaged([this.files.csv, this.files.json]);
    }
    return { ...final, rows: this.kept };
  }

  /** Removes the staged files: nothing of a failed run replaces an earlier report. */
  async discard(): Promise<void> {
    if (this.files) await discardStaged([this.files.csv, this.files.json]);
  }
}
