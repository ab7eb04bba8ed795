import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../engines/model/storm-heap.js';
import { ScratchArena } from '../engines/model/storm-scratch.js';

/** What the heap must do: pop by smallest key, equal keys in the order they were pushed. */
function referenceOrder(operations: readonly (number | null)[]): number[] {
  const pending: { key: number; seq: number; id: number }[] = [];
  const popped: number[] = [];
  let seq = 0;
  for (const op of operations) {
    if (op === null) {
      if (pending.length === 0) continue;
      pending.sort((a, b) => a.key - b.key || a.seq - b.seq);
      popped.push(pending.shift()!.id);
    } else pending.push({ key: op, seq, id: seq++ });
  }
  return popped;
}

function heapOrder(heap: MinHeap, operations: readonly (number | null)[]): number[] {
  const popped: number[] = [];
  let id = 0;
  for (const op of operations) {
    if (op === null) {
      if (heap.size > 0) popped.push(heap.pop());
    } else heap.push(op, id++);
  }
  return popped;
}

// Few distinct keys, so that ties are common; null is a pop.
const operations = fc.array(
  fc.option(
    fc.integer({ min: 0, max: 6 }).map((k) => k / 2),
    { nil: null, freq: 3 },
  ),
  { maxLength: 400 },
);

describe('storm heap', () => {
  it('pops by key, and equal keys in insertion order, through growth', () => {
    fc.assert(
      fc.property(operations, (ops) => {
        expect(heapOrder(new MinHeap(1), ops)).toEqual(referenceOrder(ops));
      }),
    );
  });

  it('does the same when its buffer comes back from an arena holding an earlier heap', () => {
    const arena = new ScratchArena();
    fc.assert(
      fc.property(operations, (ops) => {
        expect(heapOrder(new MinHeap(2, arena, 'h'), ops)).toEqual(referenceOrder(ops));
      }),
    );
  });

  it('reports the smallest key without removing it', () => {
    const heap = new MinHeap(4);
    expect(heap.peekKey()).toBe(Infinity);
    heap.push(5, 50);
    heap.push(2, 20);
    heap.push(2, 21);
    expect([heap.peekKey(), heap.size]).toEqual([2, 3]);
    expect([heap.pop(), heap.pop(), heap.pop()]).toEqual([20, 21, 50]);
  });
});
