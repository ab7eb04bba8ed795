import type { CellBatch, CellSummary } from '../batch.js';

/**
 * A batch whose report text a worker has encoded as UTF-8 into a buffer it hands over. The main
 * thread writes the bytes as they are: it never copies the text into its own heap, never encodes
 * it, and its garbage collector never sees it. The buffer goes back to a worker once written, so
 * a run reuses a handful of buffers instead of mapping fresh memory for every batch.
 */
export interface EncodedBatch {
  readonly form: 'bytes';
  readonly cells: readonly CellSummary[];
  readonly rowCount: number;
  readonly buffer: ArrayBuffer;
  /** The CSV records are bytes [0, csvBytes), the JSON rows the next jsonBytes. */
  readonly csvBytes: number;
  readonly jsonBytes: number;
}

/**
 * Which thread ran a batch and when, in milliseconds since the epoch with sub-millisecond
 * precision, so that times from different threads compare. Thread 0 is the main thread.
 */
export interface BatchTiming {
  readonly thread: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The cells' indices in canonical order. */
  readonly cells: readonly number[];
}

/** Now, as BatchTiming counts it. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Buffers start at 1 MiB and grow by doubling, so few sizes circulate. */
const SMALLEST_BUFFER = 1 << 20;
const encoder = new TextEncoder();

/**
 * Encodes a batch into a spare buffer when one is big enough, else into a new one. A UTF-16 code
 * unit takes at most 3 bytes of UTF-8, so a buffer of 3 bytes per code unit always suffices; only
 * the pages actually written are ever touched.
 */
export function encodeBatch(batch: CellBatch, spare: ArrayBuffer[]): EncodedBatch {
  const most = 3 * (batch.csv.length + batch.json.length);
  const fitting = spare.findIndex((buffer) => buffer.byteLength >= most);
  let buffer: ArrayBuffer;
  if (fitting >= 0) buffer = spare.splice(fitting, 1)[0]!;
  else {
    let size = SMALLEST_BUFFER;
    while (size < most) size *= 2;
    buffer = new ArrayBuffer(size);
  }
  const bytes = new Uint8Array(buffer);
  const csvBytes = encoder.encodeInto(batch.csv, bytes).written;
  const jsonBytes = encoder.encodeInto(batch.json, bytes.subarray(csvBytes)).written;
  return { form: 'bytes', cells: batch.cells, rowCount: batch.rowCount, buffer, csvBytes, jsonBytes };
}
