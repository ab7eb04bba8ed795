/**
 * A board in shared memory from which every thread of a run, the main thread included, claims
 * its next cells itself. No thread waits to be handed work: a worker that finishes a batch claims
 * the next one at once, even while the main thread is busy with a cell that takes half a second,
 * and the last cells go to whichever thread is free, so threads finish together.
 *
 * Positions are places in the list of model cells being run, in canonical order. A claim is an
 * unbroken run of positions that never crosses a real-driver cell (see `runEnd`), because the
 * report writes a batch as one unbroken run of cells.
 */

/** Slots of `state`. */
const NEXT = 0;
/** Cells the main thread has written, or holds for after the real-driver cells they follow. */
const SETTLED = 1;
const STOP = 2;
/**
 * Cells per claim, sized by the main thread from what its cells cost: a worker's first claim,
 * before it has timed cells of its own, and the unit of the window below.
 */
const CHUNK = 3;
const TOTAL = 4;
const SLOTS = 5;

/**
 * What one claim should take: long enough that messaging is noise, short enough that the last
 * claims of a run end together. Cells range from a fraction of a millisecond (a model
 * prediction) to a second (a storm of 100,000 instances), so claims are sized in time, not cells.
 */
export const CLAIM_MS = 8;
/** Cells per claim at most, so that little is alive at once. */
export const MOST_CELLS_PER_CLAIM = 16;

/** How many cells take about `targetMs`, from `ms` spent on `cells` cells so far; 1 before any. */
export function cellsForTime(targetMs: number, most: number, cells: number, ms: number): number {
  if (cells === 0) return 1;
  if (ms <= 0) return most;
  return Math.max(1, Math.min(most, Math.floor(targetMs / (ms / cells))));
}

/** Claimed cells that are not yet settled, in claims per thread, at most: the bound on memory. */
const WINDOW_CLAIMS_PER_THREAD = 4;
/** Towards the end of a run, claims shrink so that the last ones end together. */
const TAIL_CLAIMS_PER_THREAD = 4;

/** What crosses to a worker: shared buffers and a number, nothing copied per claim. */
export interface SharedBoard {
  readonly state: SharedArrayBuffer;
  /** For each position, the cell's index in the scenario's canonical order. */
  readonly cellIndex: SharedArrayBuffer;
  /** For each position, where its unbroken run of model cells ends. */
  readonly runEnd: SharedArrayBuffer;
  readonly threads: number;
}

export type Claim = { readonly start: number; readonly end: number } | 'wait' | 'done';

export class ClaimBoard {
  private readonly state: Int32Array;
  readonly cellIndex: Int32Array;
  private readonly runEnd: Int32Array;

  constructor(readonly shared: SharedBoard) {
    this.state = new Int32Array(shared.state);
    this.cellIndex = new Int32Array(shared.cellIndex);
    this.runEnd = new Int32Array(shared.runEnd);
  }

  /** A board for `cellIndex.length` positions, with `threads` threads claiming. */
  static create(cellIndex: readonly number[], runEnd: readonly number[], threads: number): ClaimBoard {
    const shared = (values: readonly number[]): SharedArrayBuffer => {
      const buffer = new SharedArrayBuffer(Math.max(1, values.length) * Int32Array.BYTES_PER_ELEMENT);
      new Int32Array(buffer).set(values);
      return buffer;
    };
    const state = new Array<number>(SLOTS).fill(0);
    state[CHUNK] = 1;
    state[TOTAL] = cellIndex.length;
    return new ClaimBoard({ state: shared(state), cellIndex: shared(cellIndex), runEnd: shared(runEnd), threads });
  }

  get size(): number {
    return Atomics.load(this.state, TOTAL);
  }

  /**
   * Claims up to `most` cells: 'wait' while too many claimed cells are not yet settled, 'done'
   * when nothing is left or the run stopped.
   */
  claim(most: number = Atomics.load(this.state, CHUNK)): Claim {
    const total = this.size;
    const threads = this.shared.threads;
    for (;;) {
      if (Atomics.load(this.state, STOP) !== 0) return 'done';
      const start = Atomics.load(this.state, NEXT);
      if (start >= total) return 'done';
      const window = threads * WINDOW_CLAIMS_PER_THREAD * Math.max(1, most, Atomics.load(this.state, CHUNK));
      if (start - Atomics.load(this.state, SETTLED) >= window) return 'wait';
      const size = Math.max(1, Math.min(most, Math.ceil((total - start) / (threads * TAIL_CLAIMS_PER_THREAD))));
      const end = Math.min(start + size, this.runEnd[start]!);
      if (Atomics.compareExchange(this.state, NEXT, start, end) === start) return { start, end };
    }
  }

  /** Blocks a worker until more cells are settled or `timeoutMs` passes. Never call it on the main thread. */
  waitForSettled(timeoutMs: number): void {
    Atomics.wait(this.state, SETTLED, Atomics.load(this.state, SETTLED), timeoutMs);
  }

  /** The main thread reports how many cells are settled, and wakes workers waiting for it. */
  settle(cells: number): void {
    if (cells <= Atomics.load(this.state, SETTLED)) return;
    Atomics.store(this.state, SETTLED, cells);
    Atomics.notify(this.state, SETTLED);
  }

  setWorkerChunk(cells: number): void {
    Atomics.store(this.state, CHUNK, Math.max(1, cells));
  }

  /** No thread claims anything more; workers waiting wake up and stop. */
  stop(): void {
    Atomics.store(this.state, STOP, 1);
    Atomics.notify(this.state, SETTLED);
  }

  get claimed(): number {
    return Math.min(this.size, Atomics.load(this.state, NEXT));
  }
}
