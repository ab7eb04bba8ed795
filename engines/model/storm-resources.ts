import { MinHeap } from './storm-heap.js';
import { type ArrayStore, FRESH_ARRAYS } from './storm-scratch.js';

/**
 * The heaviest job a resource takes, in units: a job's weight is kept in one byte. A boot storm's
 * jobs weigh 1 to 4 (a guest's init uses at most MAX_SERVICE_PARALLELISM threads).
 */
export const MAX_JOB_WEIGHT = 0xff;

/**
 * A host resource that concurrent jobs share fairly: CPU threads, a storage device's bandwidth,
 * the network link. Every job present gets the same rate per unit of weight (a job running on
 * three threads has weight 3), capped at one unit per unit of weight, so a job alone runs at
 * exactly its uncontended speed, and n jobs on a resource of capacity C each slow by n / C once n
 * exceeds C. This is egalitarian processor sharing, what the Linux scheduler approximates
 * per thread and what a device queue approximates per request.
 *
 * It is simulated with a virtual clock: the service that one unit of weight has received since
 * the start. A job of solo duration d that arrives when the clock reads v leaves when the clock
 * reads v + d, whatever arrives or leaves meanwhile, so each arrival and departure costs one heap
 * operation instead of updating every job.
 */
export class SharedResource {
  private virtualTime = 0;
  private lastTime = 0;
  private weight = 0;
  private busyArea = 0;
  private readonly heap: MinHeap;
  /**
   * Each job's weight, kept until it leaves. One byte per job, not eight: weights are whole
   * threads, and with two ids per instance on each resource a 100,000-instance storm kept 4.8 MB
   * of them.
   */
  private readonly jobWeight: Uint8Array;

  /**
   * @param capacity units of weight served at full speed at once (host threads for CPU, 1 for a
   *   bandwidth shared by all its users)
   * @param maxJobs highest job id + 1; a job id identifies one instance's demand on this resource
   * @param store where its arrays come from, under slots named after the resource
   */
  constructor(
    readonly name: string,
    private readonly capacity: number,
    maxJobs: number,
    store: ArrayStore = FRESH_ARRAYS,
  ) {
    this.heap = new MinHeap(1024, store, `${name}.jobs`);
    this.jobWeight = store.uint8(`${name}.weight`, maxJobs);
  }

  /** Speed of each unit of weight now: 1 while capacity suffices, capacity / weight beyond. */
  private rate(): number {
    // The same as `weight <= capacity ? 1 : capacity / weight`, with no branch that runs only once
    // the resource is oversubscribed: optimised code that had never seen it was thrown away there.
    return Math.min(1, this.capacity / this.weight);
  }

  private advance(now: number): void {
    if (this.weight > 0) {
      const elapsed = now - this.lastTime;
      this.virtualTime += elapsed * this.rate();
      this.busyArea += elapsed * Math.min(1, this.weight / this.capacity);
    }
    this.lastTime = now;
  }

  /** A job that would take `soloMs` alone starts now, using `weight` units at once (a whole number up to MAX_JOB_WEIGHT). */
  add(now: number, job: number, soloMs: number, weight: number): void {
    this.jobWeight[job] = weight;
    if (this.jobWeight[job] !== weight)
      throw new RangeError(
        `a job on ${this.name} weighs ${weight} units: weights are whole numbers up to ${MAX_JOB_WEIGHT}`,
      );
    this.advance(now);
    this.weight += weight;
    this.heap.push(this.virtualTime + soloMs, job);
  }

  /** Share of the units in use now, at most 1. */
  load(): number {
    return Math.min(1, this.weight / this.capacity);
  }

  /** When the next job finishes if nothing else arrives, or Infinity when idle. */
  nextCompletion(): number {
    if (this.heap.size === 0) return Infinity;
    const remaining = this.heap.peekKey() - this.virtualTime;
    return remaining <= 0 ? this.lastTime : this.lastTime + remaining / this.rate();
  }

  /** Removes the job that finishes now and returns its id. */
  complete(now: number): number {
    this.advance(now);
    const job = this.heap.pop();
    this.weight = this.heap.size === 0 ? 0 : this.weight - this.jobWeight[job]!;
    return job;
  }

  /** Share of [0, until] during which the resource was fully used (partly used time counts pro rata). */
  utilization(until: number): number {
    return until > 0 ? this.busyArea / until : 0;
  }
}

/**
 * A section only one start may be in at a time (a daemon's global lock, a VMM creation path).
 * Waiters are served first come, first served.
 */
export class SerialSection {
  private holder = -1;
  private readonly waiting: Int32Array;
  private head = 0;
  private tail = 0;
  private heldMs = 0;

  constructor(
    readonly name: string,
    maxJobs: number,
    store: ArrayStore = FRESH_ARRAYS,
  ) {
    this.waiting = store.int32(`${name}.waiting`, maxJobs + 1);
  }

  /** True when `job` holds the section now; otherwise it is queued and will be handed it later. */
  enter(job: number): boolean {
    if (this.holder === -1) {
      this.holder = job;
      return true;
    }
    this.waiting[this.tail] = job;
    this.tail = (this.tail + 1) % this.waiting.length;
    return false;
  }

  /** The holder leaves after `heldMs`; returns the next holder, or -1 when nobody waits. */
  leave(heldMs: number): number {
    this.heldMs += heldMs;
    if (this.head === this.tail) {
      this.holder = -1;
      return -1;
    }
    this.holder = this.waiting[this.head]!;
    this.head = (this.head + 1) % this.waiting.length;
    return this.holder;
  }

  utilization(until: number): number {
    return until > 0 ? this.heldMs / until : 0;
  }
}
