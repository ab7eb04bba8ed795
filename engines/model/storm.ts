import { createRandom, noiseFactor, type Random } from '../shared/random.js';
import type { Cell, StormSettings } from '../types.js';
import type { ModeledEngineSpec } from './params.js';
import { MinHeap } from './storm-heap.js';
import { CPU, RESOURCES, type StormPlan, stormPlan, WAKEUP_SCAN_CPUS } from './storm-plan.js';
import { SerialSection, SharedResource } from './storm-resources.js';
import { type ArrayStore, ScratchArena } from './storm-scratch.js';

/**
 * A boot storm as a discrete-event simulation: K instances of one engine start at once, or at an
 * arrival rate, on the modeled host. Each start walks through its boot phases (storm-plan.ts);
 * phases that use the CPU, the storage device or the network share them with every other start
 * (storm-resources.ts), the engine's serialised section admits one start at a time, and a shared
 * image is fetched once while later starts wait for it. Time is in ms from the first start.
 */

export interface StormOptions {
  /** Per-phase noise from the engine's bootCov, seeded by the cell; off gives the bare mechanism. */
  readonly noise?: boolean;
  /** Buckets of the instances-ready-per-second timeline. */
  readonly timelineBuckets?: number;
  /** Where the simulation's arrays come from; by default this thread's scratch arena. */
  readonly arrays?: ArrayStore;
}

export interface StormResult {
  readonly instances: number;
  /** From the first start until the last instance is ready, ms. */
  readonly allReadyMs: number;
  /** Per-instance boot latency, from its own start to ready, ms. */
  readonly latency: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number };
  /** VMs: per-instance time from the guest's first instruction to the workload starting, ms. */
  readonly guestLatency?: { readonly p50: number; readonly p99: number };
  /** Instances ready per second over the whole storm. */
  readonly readyPerSecond: number;
  /** Instances ready per second in consecutive buckets of `bucketMs` from the first start. */
  readonly timeline: { readonly bucketMs: number; readonly readyPerSecond: readonly number[] };
  /** Mean time an instance spent in each phase, waiting included, ms. */
  readonly phaseMeanMs: Readonly<Record<string, number>>;
  /** Share of the storm each contended resource was busy, with the engine's serialised section as `serial`. */
  readonly utilization: Readonly<Record<string, number>>;
  /** The busiest of them: what limits the storm. */
  readonly busiest: string;
  /** Events the simulation processed, for measuring the simulator itself. */
  readonly events: number;
}

const DELAY_DONE = 0;
const SERIAL_DONE = 1;
const EVENT_KINDS = 2;

/** Where the next event comes from when it is not a resource (resources are numbered from 0). */
const FROM_ARRIVALS = -2;
const FROM_TIMERS = -1;

/**
 * The share of wake-ups that find no idle CPU to run on when `load` of the host's CPUs is busy.
 * Linux places a woken thread on an idle CPU near its last one if it finds one among the few it
 * scans (select_idle_cpu); it waits only when every CPU it looks at is busy.
 */
function wakeupBlockedShare(load: number): number {
  return load ** WAKEUP_SCAN_CPUS.value;
}

/** This thread's arrays, reused by every storm it simulates (storm-scratch.ts says why). */
const threadArena = new ScratchArena();

export function simulateStorm(
  engine: ModeledEngineSpec,
  cell: Cell,
  settings: StormSettings,
  options: StormOptions = {},
): StormResult {
  const plan = stormPlan(engine, cell, settings);
  return runStorm(plan, settings, {
    random: createRandom(cell.seed ^ 0x5f0e5f0e),
    cov: options.noise === false ? 0 : engine.noise.bootCov.value,
    buckets: options.timelineBuckets ?? 40,
    store: options.arrays ?? threadArena,
  });
}

interface RunContext {
  readonly random: Random;
  readonly cov: number;
  readonly buckets: number;
  readonly store: ArrayStore;
}

const DELAY = 0;
const SERIAL = 1;
const USE = 2;
const HANDOFF = 3;
const ALONE = 4;
const STEP_KINDS = { delay: DELAY, serial: SERIAL, use: USE, handoff: HANDOFF, alone: ALONE } as const;

/**
 * The plan's steps as flat arrays. Step and demand objects take different shapes from plan to plan,
 * and an event loop reading them was optimised and thrown away again storm after storm, keeping
 * V8's compiler threads busy beside the workers; typed arrays have one shape.
 */
function flattenSteps(steps: StormPlan['steps']) {
  const demandCount = steps.reduce((n, s) => n + (s.kind === 'use' ? s.demands.length : 0), 0);
  const flat = {
    kind: new Int8Array(steps.length),
    phase: new Int32Array(steps.length),
    ms: new Float64Array(steps.length),
    firstDemand: new Int32Array(steps.length + 1),
    demandResource: new Int32Array(demandCount),
    demandMs: new Float64Array(demandCount),
    demandWeight: new Float64Array(demandCount),
  };
  let d = 0;
  steps.forEach((s, index) => {
    flat.kind[index] = STEP_KINDS[s.kind];
    flat.phase[index] = s.phase;
    flat.firstDemand[index] = d;
    if (s.kind === 'use') {
      for (const demand of s.demands) {
        flat.demandResource[d] = demand.resource;
        flat.demandMs[d] = demand.ms;
        flat.demandWeight[d] = demand.weight;
        d++;
      }
    } else if (s.kind === 'handoff') flat.ms[index] = s.count;
    else flat.ms[index] = s.ms;
  });
  flat.firstDemand[steps.length] = d;
  return flat;
}

function runStorm(plan: StormPlan, settings: StormSettings, context: RunContext): StormResult {
  const run = new StormRun(plan, settings, context);
  // A closed loop's starts arrive as the launcher hands them out, not on a schedule.
  const spacing = plan.concurrency > 0 ? Infinity : settings.arrivalRate > 0 ? 1000 / settings.arrivalRate : 0;
  // An infinite spacing is caught for a single start too: Infinity x 0 is NaN.
  if (plan.concurrency === 0 && !Number.isFinite(spacing * (run.count - 1))) {
    throw new RangeError(
      `an arrival rate of ${settings.arrivalRate} per second puts the last of ${run.count} starts at no finite time`,
    );
  }
  run.simulate(spacing);
  if (run.notReady > 0) throw new Error(`boot storm stalled with ${run.notReady} of ${run.count} instances not ready`);
  const guestLatency =
    plan.guestFrom >= 0 ? guestPercentiles(run.count, run.guestStart, run.guestEnd, context.store) : undefined;
  return summarize(
    plan,
    guestLatency,
    run.count,
    run.arrival,
    run.readyAt,
    run.phaseTotal,
    run.resources,
    run.serial,
    run.events,
    context.buckets,
    context.store,
  );
}

/**
 * One storm's state and its event handlers. A class, not closures inside runStorm: each storm
 * made new closures, calls between them were compiled against the previous storm's, and V8 threw
 * the optimised event loop away and compiled it again.
 */
class StormRun {
  readonly count: number;
  readonly resources: SharedResource[];
  readonly serial: SerialSection;
  readonly arrival: Float64Array;
  readonly readyAt: Float64Array;
  readonly guestStart: Float64Array;
  readonly guestEnd: Float64Array;
  private readonly guestFrom: number;
  private readonly guestTo: number;
  readonly phaseTotal: Float64Array;
  events = 0;
  private readyCount = 0;
  private now = 0;

  private readonly stepCount: number;
  private readonly stepKind: Int8Array;
  private readonly stepPhase: Int32Array;
  private readonly stepMs: Float64Array;
  private readonly firstDemand: Int32Array;
  private readonly demandResource: Int32Array;
  private readonly demandMs: Float64Array;
  private readonly demandWeight: Float64Array;
  private readonly backgroundCpuMs: number;
  private readonly handoffWaitMs: number;
  private readonly harnessCpuMs: number;
  private readonly launcherMs: number;
  /** Closed loop: starts the launcher may still begin now (free slots), and whether it is busy. */
  private launchSlots: number;
  private launcherBusy = false;
  private readonly closedLoop: boolean;
  private launched = 0;
  private inFlight = 0;
  private readonly random: Random;
  private readonly cov: number;
  private readonly timers: MinHeap;

  private readonly step: Int32Array;
  private readonly pending: Int32Array;
  private readonly phaseOf: Int32Array;
  private readonly phaseStart: Float64Array;
  private readonly noise: Float64Array;

  // Gate state: 0 not started, 1 running for everyone, 2 done; waiters sit at the gate's first step.
  private readonly gateAt: Int32Array;
  private readonly gateEndsAt: Int32Array;
  private readonly gateEnd: Int32Array;
  private readonly gateState: Int8Array;
  private readonly gateRunner: Int32Array;
  private readonly gateWaiters: number[][];

  constructor(plan: StormPlan, settings: StormSettings, context: RunContext) {
    const count = Math.max(1, Math.floor(settings.instances));
    const store = context.store;
    this.count = count;
    const flat = flattenSteps(plan.steps);
    this.stepCount = plan.steps.length;
    this.stepKind = flat.kind;
    this.stepPhase = flat.phase;
    this.stepMs = flat.ms;
    this.firstDemand = flat.firstDemand;
    this.demandResource = flat.demandResource;
    this.demandMs = flat.demandMs;
    this.demandWeight = flat.demandWeight;
    this.backgroundCpuMs = plan.backgroundCpuMs;
    this.handoffWaitMs = plan.handoffWaitMs;
    this.harnessCpuMs = plan.harnessCpuMs;
    this.launcherMs = plan.launcherMs;
    this.closedLoop = plan.concurrency > 0;
    this.launchSlots = this.closedLoop ? Math.min(plan.concurrency, count) : 0;
    this.random = context.random;
    this.cov = context.cov;
    // Job ids on a resource: instance i's own demand is i; its background CPU work is count + i;
    // the launcher's work is 2 x count; the start script's own CPU beside it is 3 x count + 1 + i.
    this.resources = RESOURCES.map(
      (name, i) => new SharedResource(name, i === 0 ? plan.cpuCapacity : 1, 4 * count + 1, store),
    );
    this.serial = new SerialSection('serial', count, store);
    // An instance waits on at most one timer at a time, and arrivals are not timers.
    this.timers = new MinHeap(Math.min(count, 1 << 20), store, 'timers');

    this.step = store.int32('step', count).fill(0);
    this.pending = store.int32('pending', count).fill(0);
    this.phaseOf = store.int32('phaseOf', count).fill(-1);
    this.phaseStart = store.float64('phaseStart', count).fill(0);
    this.noise = store.float64('noise', count).fill(1);
    this.arrival = store.float64('arrival', count).fill(0);
    this.readyAt = store.float64('readyAt', count).fill(0);
    this.guestFrom = plan.guestFrom;
    this.guestTo = plan.guestTo;
    this.guestStart = store.float64('guestStart', count).fill(-1);
    this.guestEnd = store.float64('guestEnd', count).fill(-1);
    this.phaseTotal = new Float64Array(plan.phases.length);

    const gates = plan.gates;
    this.gateAt = new Int32Array(this.stepCount).fill(-1);
    this.gateEndsAt = new Int32Array(this.stepCount + 1).fill(-1);
    this.gateEnd = new Int32Array(gates.length);
    gates.forEach((g, i) => {
      this.gateAt[g.first] = i;
      this.gateEndsAt[g.end] = i;
      this.gateEnd[i] = g.end;
    });
    this.gateState = new Int8Array(gates.length);
    this.gateRunner = new Int32Array(gates.length).fill(-1);
    this.gateWaiters = gates.map(() => []);
  }

  get notReady(): number {
    return this.count - this.readyCount;
  }

  /** Runs every event; `spacing` is the time between arrivals, 0 for all at once, Infinity for a closed loop. */
  simulate(spacing: number): void {
    const { count, resources, timers, pending, arrival } = this;
    if (spacing === Infinity) this.launch();
    // Instances not yet arrived. Arrivals come in index order at i * spacing, so the next one is a
    // single comparison instead of `count` entries in the timer heap. On equal times an arrival
    // goes first, then timers, then resource completions, so a storm that starts everyone at once
    // takes the same path as one with an arrival rate, and the loop is compiled once for both.
    let nextArrival = 0;
    for (;;) {
      const arrivalAt = nextArrival < count && spacing !== Infinity ? nextArrival * spacing : Infinity;
      let next = arrivalAt;
      let source = FROM_ARRIVALS;
      const timerAt = timers.peekKey();
      if (timerAt < next) {
        next = timerAt;
        source = FROM_TIMERS;
      }
      for (let r = 0; r < resources.length; r++) {
        const t = resources[r]!.nextCompletion();
        if (t < next) {
          next = t;
          source = r;
        }
      }
      if (next === Infinity) break;
      this.now = next;
      this.events++;
      if (source >= 0) {
        const job = resources[source]!.complete(next);
        if (job < count && --pending[job]! === 0) this.stepDone(job);
        else if (job === 2 * count) this.launchDone();
        continue;
      }
      if (source === FROM_ARRIVALS) {
        const i = nextArrival++;
        arrival[i] = next;
        this.start(i);
        continue;
      }
      const id = timers.pop();
      const i = Math.floor(id / EVENT_KINDS);
      if (i === count) {
        this.launcherWork();
      } else if (id - i * EVENT_KINDS === DELAY_DONE) {
        this.stepDone(i);
      } else {
        const nextHolder = this.serial.leave(this.holdMs(i));
        if (nextHolder >= 0) timers.push(next + this.holdMs(nextHolder), nextHolder * EVENT_KINDS + SERIAL_DONE);
        this.stepDone(i);
      }
    }
    // Nothing follows the loop here: code after a loop that V8 entered mid-way has no type
    // feedback in the optimised version, and reaching it threw that version away (see runStorm).
  }

  /**
   * How long instance i holds the serialised section: worked out again when needed rather than
   * stored, because nothing changes its step or its noise while it waits for or holds the section.
   */
  private holdMs(i: number): number {
    return this.stepMs[this.step[i]!]! * this.noise[i]!;
  }

  private enterPhase(i: number, phase: number): void {
    const current = this.phaseOf[i]!;
    if (current === phase) return;
    if (current >= 0) this.phaseTotal[current]! += this.now - this.phaseStart[i]!;
    // A phase the instance skips (a kernel another start already read) still opens or closes its guest span.
    if (this.guestFrom >= 0 && phase >= this.guestFrom && this.guestStart[i]! < 0) this.guestStart[i] = this.now;
    if (this.guestTo >= 0 && phase >= this.guestTo && this.guestEnd[i]! < 0) this.guestEnd[i] = this.now;
    this.phaseOf[i] = phase;
    this.phaseStart[i] = this.now;
    this.noise[i] = this.cov > 0 ? noiseFactor(this.random, this.cov) : 1;
  }

  private finishGate(g: number): void {
    this.gateState[g] = 2;
    const waiters = this.gateWaiters[g]!;
    this.gateWaiters[g] = [];
    for (const w of waiters) {
      this.step[w] = this.gateEnd[g]!;
      this.advance(w);
    }
  }

  /** Moves instance i forward from its current step until it waits on something. */
  private advance(i: number): void {
    const { step, gateAt, gateState, stepPhase } = this;
    const now = this.now;
    for (;;) {
      const index = step[i]!;
      const closing = this.gateEndsAt[index]!;
      if (closing >= 0 && this.gateRunner[closing] === i && gateState[closing] === 1) this.finishGate(closing);
      if (index >= this.stepCount) {
        const phase = this.phaseOf[i]!;
        if (phase >= 0) this.phaseTotal[phase]! += now - this.phaseStart[i]!;
        this.readyAt[i] = now;
        if (this.guestEnd[i]! < 0) this.guestEnd[i] = now;
        this.readyCount++;
        this.inFlight--;
        if (this.closedLoop) {
          this.launchSlots++;
          this.launch();
        }
        return;
      }
      const g = gateAt[index]!;
      if (g >= 0) {
        if (gateState[g] === 2) {
          step[i] = this.gateEnd[g]!;
          continue;
        }
        this.enterPhase(i, stepPhase[index]!);
        if (gateState[g] === 1) {
          this.gateWaiters[g]!.push(i);
          return;
        }
        gateState[g] = 1;
        this.gateRunner[g] = i;
      }
      this.enterPhase(i, stepPhase[index]!);
      const factor = this.noise[i]!;
      const kind = this.stepKind[index]!;
      if (kind === HANDOFF || kind === ALONE) {
        const ms =
          kind === HANDOFF
            ? this.stepMs[index]! * this.handoffWaitMs * wakeupBlockedShare(this.resources[CPU]!.load())
            : this.inFlight === 1
              ? this.stepMs[index]! * factor
              : 0;
        if (ms <= 0) {
          step[i]!++;
          continue;
        }
        this.timers.push(now + ms, i * EVENT_KINDS + DELAY_DONE);
      } else if (kind === DELAY) {
        this.timers.push(now + this.stepMs[index]! * factor, i * EVENT_KINDS + DELAY_DONE);
      } else if (kind === SERIAL) {
        if (this.serial.enter(i)) this.timers.push(now + this.stepMs[index]! * factor, i * EVENT_KINDS + SERIAL_DONE);
      } else {
        const first = this.firstDemand[index]!;
        const end = this.firstDemand[index + 1]!;
        this.pending[i] = end - first;
        for (let d = first; d < end; d++)
          this.resources[this.demandResource[d]!]!.add(now, i, this.demandMs[d]! * factor, this.demandWeight[d]!);
      }
      return;
    }
  }

  /**
   * Closed loop: the launcher begins the next start if it is idle and a slot is free. When every
   * CPU is busy it first waits to be scheduled, as any woken thread does.
   */
  private launch(): void {
    if (this.launcherBusy || this.launchSlots === 0 || this.launched >= this.count) return;
    this.launcherBusy = true;
    this.launchSlots--;
    const waitMs = this.handoffWaitMs * wakeupBlockedShare(this.resources[CPU]!.load());
    if (waitMs > 0) this.timers.push(this.now + waitMs, this.count * EVENT_KINDS);
    else this.launcherWork();
  }

  /** The launcher's own CPU work for the start it is beginning. */
  private launcherWork(): void {
    if (this.launcherMs > 0) this.resources[CPU]!.add(this.now, 2 * this.count, this.launcherMs, 1);
    else this.launchDone();
  }

  /** The launcher has begun a start: its clock runs from now. */
  private launchDone(): void {
    const i = this.launched++;
    this.launcherBusy = false;
    this.arrival[i] = this.now;
    this.start(i);
    this.launch();
  }

  /** An instance starts: its boot path, and beside it the host work it causes. */
  private start(i: number): void {
    this.inFlight++;
    if (this.harnessCpuMs > 0) {
      const factor = this.cov > 0 ? noiseFactor(this.random, this.cov) : 1;
      this.resources[CPU]!.add(this.now, 3 * this.count + 1 + i, this.harnessCpuMs * factor, 1);
    }
    if (this.backgroundCpuMs > 0) {
      const factor = this.cov > 0 ? noiseFactor(this.random, this.cov) : 1;
      this.resources[CPU]!.add(this.now, this.count + i, this.backgroundCpuMs * factor, 1);
    }
    this.advance(i);
  }

  private stepDone(i: number): void {
    this.step[i]!++;
    this.advance(i);
  }
}

/** Percentiles of each instance's guest span: its own boot inside the VM, without the VMM's start. */
function guestPercentiles(count: number, start: Float64Array, end: Float64Array, store: ArrayStore) {
  const spans = store.float64('guestSpans', count);
  for (let i = 0; i < count; i++) spans[i] = end[i]! - start[i]!;
  spans.sort();
  return { p50: sortedPercentile(spans, 50), p99: sortedPercentile(spans, 99) };
}

function summarize(
  plan: StormPlan,
  guestLatency: StormResult['guestLatency'],
  count: number,
  arrival: Float64Array,
  readyAt: Float64Array,
  phaseTotal: Float64Array,
  resources: readonly SharedResource[],
  serial: SerialSection,
  events: number,
  buckets: number,
  store: ArrayStore,
): StormResult {
  const { allReadyMs, latencySum, latencies } = instanceLatencies(
    count,
    arrival,
    readyAt,
    store.float64('latencies', count),
  );
  // Sorted out here: reached only after the loop above has been optimised, a call without type
  // feedback would throw that code away again in every storm.
  latencies.sort();
  const bucketCount = Math.max(1, Math.min(buckets, count));
  const bucketMs = allReadyMs > 0 ? allReadyMs / bucketCount : 1;
  const timeline = Array.from(readyPerBucket(count, readyAt, bucketCount, bucketMs), (n) => n / (bucketMs / 1000));

  const utilization: Record<string, number> = {};
  for (const r of resources) utilization[r.name] = r.utilization(allReadyMs);
  if (plan.serialPhase && plan.params.serialMs.value > 0) utilization.serial = serial.utilization(allReadyMs);
  const busiest = Object.entries(utilization).reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];

  const phaseMeanMs: Record<string, number> = {};
  plan.phases.forEach((name, p) => {
    phaseMeanMs[name] = phaseTotal[p]! / count;
  });

  return {
    instances: count,
    allReadyMs,
    latency: {
      mean: latencySum / count,
      p50: sortedPercentile(latencies, 50),
      p99: sortedPercentile(latencies, 99),
      max: latencies[count - 1]!,
    },
    ...(guestLatency ? { guestLatency } : {}),
    readyPerSecond: allReadyMs > 0 ? count / (allReadyMs / 1000) : Infinity,
    timeline: { bucketMs, readyPerSecond: timeline },
    phaseMeanMs,
    utilization,
    busiest,
    events,
  };
}

// The loops over every instance live in functions that see only typed arrays. Inside summarize,
// whose records take a different shape for each engine, they were optimised on stack and thrown
// away again storm after storm, which kept V8's compiler threads busy beside the workers.

function instanceLatencies(count: number, arrival: Float64Array, readyAt: Float64Array, latencies: Float64Array) {
  let allReadyMs = 0;
  let latencySum = 0;
  for (let i = 0; i < count; i++) {
    allReadyMs = Math.max(allReadyMs, readyAt[i]!);
    latencies[i] = readyAt[i]! - arrival[i]!;
    latencySum += latencies[i]!;
  }
  return { allReadyMs, latencySum, latencies };
}

function readyPerBucket(count: number, readyAt: Float64Array, bucketCount: number, bucketMs: number): Float64Array {
  const perBucket = new Float64Array(bucketCount);
  for (let i = 0; i < count; i++) perBucket[Math.min(bucketCount - 1, Math.floor(readyAt[i]! / bucketMs))]!++;
  return perBucket;
}

/** Linear interpolation between closest ranks, the definition bench/stats.ts uses for every report. */
function sortedPercentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 1) return sorted[0]!;
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (rank - lower);
}
