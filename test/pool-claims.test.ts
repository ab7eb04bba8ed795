import { describe, expect, it } from 'vitest';
import { ClaimBoard, cellsForTime } from '../bench/run/pool/board.js';

const positions = (count: number): number[] => Array.from({ length: count }, (_, i) => i);
const taken = (board: ClaimBoard, most: number): { start: number; end: number } => {
  const claim = board.claim(most);
  if (typeof claim === 'string') throw new Error(`expected a claim, got ${claim}`);
  return claim;
};

describe('the claim board', () => {
  it('hands out every position once, in order, in runs that never cross the end of an unbroken run', () => {
    // Positions 0-4 and 5-9 are two runs of model cells with a real-driver cell between them.
    const runEnd = [5, 5, 5, 5, 5, 10, 10, 10, 10, 10];
    const board = ClaimBoard.create(positions(10), runEnd, 1);
    const claims: [number, number][] = [];
    for (let claim = board.claim(4); claim !== 'done'; claim = board.claim(4)) {
      if (claim === 'wait') throw new Error('nothing is unsettled in this test');
      claims.push([claim.start, claim.end]);
      board.settle(claim.end);
    }
    expect(claims.flatMap(([start, end]) => positions(end - start).map((i) => start + i))).toEqual(positions(10));
    for (const [start, end] of claims) expect(end).toBeLessThanOrEqual(runEnd[start]!);
    expect(claims[0]).toEqual([0, 3]);
  });

  it('shrinks claims towards the end so that threads finish together', () => {
    const count = 64;
    const board = ClaimBoard.create(positions(count), new Array<number>(count).fill(count), 2);
    // 64 left over 2 threads x 4 tail claims: at most 8 cells, though 16 were asked for.
    expect(taken(board, 16)).toEqual({ start: 0, end: 8 });
    board.settle(8);
    // 56 left: 7.
    expect(taken(board, 16)).toEqual({ start: 8, end: 15 });
  });

  it('says wait while too much is claimed and unsettled, and goes on once the report catches up', () => {
    const count = 100;
    const board = ClaimBoard.create(positions(count), new Array<number>(count).fill(count), 1);
    // One thread x 4 claims x 1 cell each: the window is 4 cells.
    for (let i = 0; i < 4; i++) taken(board, 1);
    expect(board.claim(1)).toBe('wait');
    board.settle(1);
    expect(taken(board, 1)).toEqual({ start: 4, end: 5 });
  });

  it('says done to everyone once stopped, and once every position is claimed', () => {
    const board = ClaimBoard.create(positions(3), [3, 3, 3], 1);
    taken(board, 2);
    board.stop();
    expect(board.claim(2)).toBe('done');
    const other = ClaimBoard.create(positions(2), [2, 2], 1);
    expect(taken(other, 8)).toEqual({ start: 0, end: 1 });
    expect(taken(other, 8)).toEqual({ start: 1, end: 2 });
    expect(other.claim(8)).toBe('done');
    expect(ClaimBoard.create([], [], 2).claim(4)).toBe('done');
  });

  it('is the same board on the other side of a structured clone, as a worker sees it', () => {
    const board = ClaimBoard.create(positions(10), new Array<number>(10).fill(10), 2);
    const seen = new ClaimBoard(structuredClone(board.shared));
    expect(taken(seen, 2)).toEqual({ start: 0, end: 2 });
    expect(taken(board, 2)).toEqual({ start: 2, end: 3 });
    expect(seen.cellIndex[9]).toBe(9);
  });
});

describe('claim sizes', () => {
  it('come from the time cells took so far', () => {
    expect(cellsForTime(8, 16, 0, 0)).toBe(1);
    expect(cellsForTime(8, 16, 10, 20)).toBe(4);
    expect(cellsForTime(8, 16, 10, 2000)).toBe(1);
    expect(cellsForTime(8, 16, 100, 1)).toBe(16);
    expect(cellsForTime(8, 16, 5, 0)).toBe(16);
  });
});
