/**
 * Where the boot-storm simulator gets its typed arrays. A sweep runs thousands of storms of up to
 * hundreds of thousands of instances, and fresh arrays for each (tens of MiB per storm) must be
 * zeroed by the allocator, tracked by V8 as external memory and freed by V8's background threads.
 * On a pool where every core already runs a worker, that background work takes cores from the
 * workers. A `ScratchArena` keeps each slot's largest buffer for the next storm on the same
 * thread instead.
 *
 * Arrays from an arena hold whatever the previous storm left in them: callers initialise what they
 * read before they write it.
 */

/**
 * The largest buffer a slot keeps for the next storm: enough for every array of a storm of
 * 100,000 instances. Larger storms get fresh arrays as before, so that one storm near the
 * 10,000,000-instance cap does not leave gigabytes held by every thread that ran it.
 */
export const MAX_RETAINED_SLOT_BYTES = 4 * 1024 * 1024;
export interface ArrayStore {
  float64(slot: string, length: number): Float64Array;
  int32(slot: string, length: number): Int32Array;
  uint8(slot: string, length: number): Uint8Array;
}

/** Fresh, zeroed arrays every time: for one-off structures and for tests. */
export const FRESH_ARRAYS: ArrayStore = {
  float64: (_slot, length) => new Float64Array(length),
  int32: (_slot, length) => new Int32Array(length),
  uint8: (_slot, length) => new Uint8Array(length),
};

export class ScratchArena implements ArrayStore {
  private readonly buffers = new Map<string, ArrayBuffer>();

  private buffer(slot: string, bytes: number): ArrayBuffer {
    const kept = this.buffers.get(slot);
    if (kept !== undefined && kept.byteLength >= bytes) return kept;
    const buffer = new ArrayBuffer(bytes);
    if (bytes <= MAX_RETAINED_SLOT_BYTES) this.buffers.set(slot, buffer);
    else this.buffers.delete(slot);
    return buffer;
  }

  float64(slot: string, length: number): Float64Array {
    return new Float64Array(this.buffer(slot, length * Float64Array.BYTES_PER_ELEMENT), 0, length);
  }

  int32(slot: string, length: number): Int32Array {
    return new Int32Array(this.buffer(slot, length * Int32Array.BYTES_PER_ELEMENT), 0, length);
  }

  uint8(slot: string, length: number): Uint8Array {
    return new Uint8Array(this.buffer(slot, length), 0, length);
  }

  /** Bytes held for reuse, for tests and memory accounting. */
  get retainedBytes(): number {
    let total = 0;
    for (const buffer of this.buffers.values()) total += buffer.byteLength;
    return total;
  }
}
