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

  constructor(capacity = 1024) {
    this.keys = new Float64Array(capacity);
    this.order = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
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
    const keys = new Float64Array(size);
    const order = new Float64Array(size);
    const ids = new Int32Array(size);
    keys.set(this.keys);
    order.set(this.order);
    ids.set(this.ids);
    this.keys = keys;
    this.order = order;
    this.ids = ids;
  }
}
