import { type ArrayStore, FRESH_ARRAYS } from './storm-scratch.js';

/** Entries per node: a 4-ary heap is half as deep as a binary one, and its children sit together. */
const ARITY = 4;
/** An entry is 16 bytes: its key (float64), its insertion number (uint32) and its id (int32). */
const WORDS = 4;
const MAX_INSERTIONS = 2 ** 32;

/**
 * A min-heap of (key, id) pairs in one typed buffer. A boot storm of 100,000 instances keeps
 * hundreds of thousands of pending events, so the heap avoids an object per entry. Its arrays
 * outgrow the caches, and a storm is mostly sifting entries through them: with a 4-ary heap and
 * each entry's fields side by side, a step down the heap reads one or two cache lines, where a
 * binary heap with a separate array per field read three per level over twice as many levels.
 * That matters most when two workers share the machine's caches and memory bandwidth.
 *
 * Equal keys leave in insertion order, which keeps a simulation's event order (and its results)
 * independent of how the heap happens to be laid out.
 */
export class MinHeap {
  private keys!: Float64Array;
  private words!: Uint32Array;
  private ids!: Int32Array;
  private capacity = 0;
  private count = 0;
  private inserted = 0;

  /**
   * @param store where the heap's buffer comes from; a scratch arena reuses it across storms
   * @param slot the arena slot, distinct for every heap alive at once
   */
  constructor(
    capacity = 1024,
    private readonly store: ArrayStore = FRESH_ARRAYS,
    private readonly slot = 'heap',
  ) {
    this.allocate(Math.max(1, capacity));
  }

  private allocate(capacity: number): void {
    // Key k lives at keys[2k]; its insertion number and id at words[4k + 2] and ids[4k + 3].
    const keys = this.store.float64(this.slot, capacity * (WORDS / 2));
    if (this.count > 0 && keys.buffer !== this.keys.buffer) keys.set(this.keys.subarray(0, this.count * (WORDS / 2)));
    this.keys = keys;
    this.words = new Uint32Array(keys.buffer, keys.byteOffset, capacity * WORDS);
    this.ids = new Int32Array(keys.buffer, keys.byteOffset, capacity * WORDS);
    this.capacity = capacity;
  }

  get size(): number {
    return this.count;
  }

  /** The smallest key, or Infinity when empty. */
  peekKey(): number {
    return this.count > 0 ? this.keys[0]! : Infinity;
  }

  push(key: number, id: number): void {
    if (this.count === this.capacity) this.allocate(this.capacity * 2);
    if (this.inserted === MAX_INSERTIONS) throw new Error(`a storm heap took more than ${MAX_INSERTIONS} insertions`);
    const keys = this.keys;
    const words = this.words;
    const ids = this.ids;
    const seq = this.inserted++;
    let i = this.count++;
    while (i > 0) {
      const parent = ((i - 1) / ARITY) | 0;
      const pk = keys[2 * parent]!;
      if (pk < key || (pk === key && words[WORDS * parent + 2]! < seq)) break;
      keys[2 * i] = pk;
      words[WORDS * i + 2] = words[WORDS * parent + 2]!;
      ids[WORDS * i + 3] = ids[WORDS * parent + 3]!;
      i = parent;
    }
    keys[2 * i] = key;
    words[WORDS * i + 2] = seq;
    ids[WORDS * i + 3] = id;
  }

  /** Removes the smallest entry and returns its id. */
  pop(): number {
    const keys = this.keys;
    const words = this.words;
    const ids = this.ids;
    const top = ids[3]!;
    const last = --this.count;
    if (last === 0) return top;
    const key = keys[2 * last]!;
    const seq = words[WORDS * last + 2]!;
    const id = ids[WORDS * last + 3]!;
    let i = 0;
    for (;;) {
      const first = ARITY * i + 1;
      if (first >= last) break;
      const end = Math.min(first + ARITY, last);
      let child = first;
      let ck = keys[2 * first]!;
      let cs = words[WORDS * first + 2]!;
      for (let c = first + 1; c < end; c++) {
        const k = keys[2 * c]!;
        if (k < ck || (k === ck && words[WORDS * c + 2]! < cs)) {
          child = c;
          ck = k;
          cs = words[WORDS * c + 2]!;
        }
      }
      if (key < ck || (key === ck && seq < cs)) break;
      keys[2 * i] = ck;
      words[WORDS * i + 2] = cs;
      ids[WORDS * i + 3] = ids[WORDS * child + 3]!;
      i = child;
    }
    keys[2 * i] = key;
    words[WORDS * i + 2] = seq;
    ids[WORDS * i + 3] = id;
    return top;
  }
}
