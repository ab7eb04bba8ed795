import { FRESH_ARRAYS, type ArrayStore } from './storm-scratch.js';

/**
 * A binary min-heap of (key, id) pairs on typed arrays. A boot storm of 100,000 instances keeps
 * hundreds of thousands of pending events, so the heap avoids an object per entry. Equal keys
 * leave in insertion order, which keeps a simulation's event order (and its results)
 * independent of how the heap happens to be laid out.
 */
export class MinHeap {
  private keys: Float64Array;
  private order: Float64Array;
  private ids: Int32Array;
  private count = 0;
  private inserted = 0;

  /**
   * @param store where the heap's arrays come from; a scratch arena reuses them across storms
   * @param slot the arena slot prefix, distinct for every heap alive at once
   */
  constructor(
    capacity = 1024,
    private readonly store: ArrayStore = FRESH_ARRAYS,
    private readonly slot = 'heap',
  ) {
    this.keys = store.float64(`${slot}.keys`, capacity);
    this.order = store.float64(`${slot}.order`, capacity);
    this.ids = store.int32(`${slot}.ids`, capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The smallest key, or Infinity when empty. */
  peekKey(): number {
    return this.count > 0 ? this.keys[0]! : Infinity;
  }

  /** The id under the smallest key; only meaningful when not empty. */
  peekId(): number {
    return this.ids[0]!;
  }

  push(key: number, id: number): void {
    if (this.count === this.keys.length) this.grow();
    const keys = this.keys;
    const order = this.order;
    const ids = this.ids;
    const seq = this.inserted++;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent]!;
      if (pk < key || (pk === key && order[parent]! < seq)) break;
      keys[i] = pk;
      order[i] = order[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    keys[i] = key;
    order[i] = seq;
    ids[i] = id;
  }

  /** Removes the smallest entry and returns its id. */
  pop(): number {
    const keys = this.keys;
    const order = this.order;
    const ids = this.ids;
    const top = ids[0]!;
    const last = --this.count;
    if (last === 0) return top;
    const key = keys[last]!;
    const seq = order[last]!;
    const id = ids[last]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      const right = child + 1;
      if (right < last && (keys[right]! < keys[child]! || (keys[right] === keys[child] && order[right]! < order[child]!))) child = right;
      const ck = keys[child]!;
      if (key < ck || (key === ck && seq < order[child]!)) break;
      keys[i] = ck;
      order[i] = order[child]!;
      ids[i] = ids[child]!;
      i = child;
    }
    keys[i] = key;
    order[i] = seq;
    ids[i] = id;
    return top;
  }

  private grow(): void {
    const size = this.keys.length * 2;
    // An arena hands out a new, larger buffer here; the old arrays stay readable for the copy.
    const keys = this.store.float64(`${this.slot}.keys`, size);
    const order = this.store.float64(`${this.slot}.order`, size);
    const ids = this.store.int32(`${this.slot}.ids`, size);
    keys.set(this.keys);
    order.set(this.order);
    ids.set(this.ids);
    this.keys = keys;
    this.order = order;
    this.ids = ids;
  }
}
