import { assumed } from '../param.js';
import type { Cell, StormSettings } from '../types.js';
import {
  APP_LAYER_COMPRESSION,
  bootPhases,
  DECOMPRESS_CYCLES_PER_BYTE,
  deviceProbeMs,
  guestWaitMs,
  MAX_SERVICE_PARALLELISM,
  PULL_ROUND_TRIPS_PER_LAYER,
  probedDevices,
} from './boot.js';
import { isContainerKind, isVmEngine, isVmKind, type ModeledEngineSpec, type StormParams } from './params.js';

/**
 * What one instance's start asks of the host, step by step: the boot phases of engines/model/boot.ts
 * split into the resources each one uses. Alone, an instance takes exactly each phase's analytic
 * duration; in a storm, the same demands queue behind everyone else's.
 */

export const RESOURCES = ['cpu', 'storage', 'network'] as const;
export type ResourceName = (typeof RESOURCES)[number];
export const CPU = 0;
export const STORAGE = 1;
export const NETWORK = 2;

/** Part of a step that uses a shared resource; the parts of one step run at the same time. */
export interface Demand {
  readonly resource: number;
  /** Duration alone on an idle host, ms. */
  readonly ms: number;
  /** Units used at once: threads for CPU, 1 for a bandwidth. */
  readonly weight: number;
}

export type Step =
  | { readonly kind: 'delay'; readonly phase: number; readonly ms: number }
  /** Thread hand-offs: each waits CFS_WAKEUP_WAIT_MS for a CPU if every CPU is busy when the step begins. */
  | { readonly kind: 'handoff'; readonly phase: number; readonly count: number }
  /** A wait paid only by a start alone on the host: its idle cores waking (boot.ts idle_wakeups). */
  | { readonly kind: 'alone'; readonly phase: number; readonly ms: number }
  | { readonly kind: 'serial'; readonly phase: number; readonly ms: number }
  | { readonly kind: 'use'; readonly phase: number; readonly demands: readonly Demand[] };

/** Steps that the first instance performs for everyone (fetching a shared image, reading a shared kernel). */
export interface SharedGate {
  readonly name: string;
  readonly first: number;
  /** One past the gate's last step. */
  readonly end: number;
}

export interface StormPlan {
  readonly phases: readonly string[];
  readonly steps: readonly Step[];
  readonly gates: readonly SharedGate[];
  /** What the host's CPU completes at once, in threads running at full speed (see SMT_THREAD_YIELD). */
  readonly cpuCapacity: number;
  /** Host CPU each start costs beside its boot path (StormParams.backgroundCpuMs), ms of one thread. */
  readonly backgroundCpuMs: number;
  /** The phase where the guest begins running (firmware or kernel), or -1 for engines without a guest. */
  readonly guestFrom: number;
  /** The phase the guest's own boot hands over to (the workload starting), or -1 when none follows it. */
  readonly guestTo: number;
  /** Closed loop: starts in flight at most (StormSettings.concurrency); 0 for the open loop. */
  readonly concurrency: number;
  /** Host CPU the single-threaded launcher spends per start before the start's clock runs, ms. */
  readonly launcherMs: number;
  /** Host CPU each start's own script spends beside its timed span (StormSettings.harnessCpuMs), ms. */
  readonly harnessCpuMs: number;
  /** What one thread hand-off waits for a CPU when every CPU is busy, ms. */
  readonly handoffWaitMs: number;
  /** The phase whose start holds the engine's serialised section, if any. */
  readonly serialPhase?: string;
  readonly params: StormParams;
}

/** What engines without their own storm parameters get: reasoning, not measurements. */
export const DEFAULT_STORM_PARAMS: StormParams = {
  serialMs: assumed(0, 'no serialised section known for this engine: starts contend only for host resources'),
  setupCpuFraction: assumed(
    0.5,
    'set-up steps split about evenly between host CPU work and waiting on other processes',
  ),
  backgroundCpuMs: assumed(0, 'no host work known beside the boot path'),
};

/**
 * Throughput a core's second hardware thread adds when both are busy. A storm keeps every thread
 * busy, and two threads of one core share its execution units, so they do not double it.
 */
export const SMT_THREAD_YIELD = assumed(
  0.3,
  "Intel's figure for Hyper-Threading: up to 30% more throughput on a fully loaded core",
);

/**
 * What a woken thread waits for a CPU when every CPU is busy: it cannot preempt the running thread
 * until that one has run this much longer than it.
 */
export const CFS_WAKEUP_WAIT_MS = assumed(
  4,
  "Linux CFS's default sched_wakeup_granularity: 1 ms x (1 + log2 of the CPU count, capped at 8 CPUs) = 4 ms",
);

/** The phases a guest can begin with, in boot order. */
const GUEST_FIRST_PHASES: readonly string[] = ['firmware', 'bootloader', 'kernel_load'];

/** CPUs a woken thread's placement looks at for an idle one before it queues. */
export const WAKEUP_SCAN_CPUS = assumed(
  4,
  'Linux select_idle_cpu scans a few CPUs of the last-level-cache domain (SIS_PROP keeps it to about 4 on a busy host) before settling for a busy one',
);

export function stormParams(engine: ModeledEngineSpec): StormParams {
  return engine.storm ?? DEFAULT_STORM_PARAMS;
}

const MIB = 1024 * 1024;

function serialPhaseOf(engine: ModeledEngineSpec, phases: readonly string[]): string | undefined {
  if (isVmKind(engine.kind)) return 'vmm_start';
  if (isContainerKind(engine.kind)) return phases.includes('daemon') ? 'daemon' : 'runtime_start';
  return undefined;
}

/** Whether every instance's kernel is one file on the host, so the page cache serves all but the first read. */
function kernelIsShared(engine: ModeledEngineSpec, cell: Cell, settings: StormSettings): boolean {
  // A microVM's VMM reads a vmlinux from the host, as does any VMM booting a kernel it is given
  // (direct boot, or firmware that only hands the kernel over, with no boot loader); other VMs read
  // the kernel from their own disk, which is one file only for linked clones of one base.
  const givenKernel =
    isVmEngine(engine) &&
    (cell.options.boot === 'direct' ||
      (engine.boot.bootloaderMs.value === 0 && engine.boot.bootloaderMcycles.value === 0));
  return settings.sharedImage && (engine.kind === 'microvm' || givenKernel || cell.options.linkedClones);
}

/**
 * The CPU a storm's starts get while instances already running keep `runningDemand` cores busy
 * with their application: what the running load leaves, but never less than a fair share, as the
 * scheduler splits a contended CPU between runnable threads (the running load counts as its demand
 * in threads, each start as one).
 */
export function cpuLeftForStarts(hostThreads: number, runningDemand: number, starts: number): number {
  const fairShare = (hostThreads * starts) / (starts + runningDemand);
  return Math.max(hostThreads - runningDemand, fairShare);
}

export function stormPlan(engine: ModeledEngineSpec, cell: Cell, settings: StormSettings): StormPlan {
  const params = stormParams(engine);
  const phases = bootPhases(engine, cell);
  const names = phases.map((p) => p.name);
  const serialPhase = serialPhaseOf(engine, names);
  const setupCpu = Math.min(1, Math.max(0, params.setupCpuFraction.value));
  const steps: Step[] = [];
  const gates: SharedGate[] = [];
  let gate: { name: string; first: number } | undefined;
  const openGate = (name: string): void => {
    if (gate?.name === name) return;
    closeGate();
    gate = { name, first: steps.length };
  };
  const closeGate = (): void => {
    if (gate && steps.length > gate.first) gates.push({ ...gate, end: steps.length });
    gate = undefined;
  };
  const use = (phase: number, ...demands: Demand[]): void => {
    const positive = demands.filter((d) => d.ms > 0);
    if (positive.length > 0) steps.push({ kind: 'use', phase, demands: positive });
  };
  const delay = (phase: number, ms: number): void => {
    if (ms > 0) steps.push({ kind: 'delay', phase, ms });
  };
  // The start's hand-offs around the engine (the start script's helpers) come first, on the VMM's or runtime's phase.
  const handoffs = Math.max(0, settings.handoffs ?? 0);
  if (handoffs > 0 && phases.length > 0) steps.push({ kind: 'handoff', phase: 0, count: handoffs });
  const setup = (phase: number, ms: number, serialMs: number): void => {
    const held = Math.min(serialMs, ms);
    if (held > 0) steps.push({ kind: 'serial', phase, ms: held });
    const rest = ms - held;
    use(phase, { resource: CPU, ms: rest * setupCpu, weight: 1 });
    delay(phase, rest * (1 - setupCpu));
  };

  phases.forEach(({ name, ms }, phase) => {
    const sharedImage = settings.sharedImage && (name === 'image_pull' || name === 'unpack');
    const sharedKernel = name === 'kernel_load' && kernelIsShared(engine, cell, settings);
    if (sharedImage) openGate('image');
    else if (sharedKernel) openGate('kernel');
    else closeGate();

    switch (name) {
      case 'image_pull': {
        const layers = cell.os.containerLayers.value + 1;
        const roundTripsMs = Math.min(ms, (layers * PULL_ROUND_TRIPS_PER_LAYER * cell.hardware.network.rttUs) / 1000);
        delay(phase, roundTripsMs);
        use(phase, { resource: NETWORK, ms: ms - roundTripsMs, weight: 1 });
        break;
      }
      case 'unpack': {
        // Decompression streams into the filesystem: both run at once and the slower one sets the pace.
        const compressedBytes = (cell.os.containerCompressedMiB.value + cell.app.sizeMiB * APP_LAYER_COMPRESSION) * MIB;
        const unpackedBytes = (cell.os.containerUnpackedMiB.value + cell.app.sizeMiB) * MIB;
        const writeMs = (unpackedBytes / (cell.hardware.storage.seqWriteMBs * 1e6)) * 1000;
        const inflateMs = (compressedBytes * DECOMPRESS_CYCLES_PER_BYTE) / 1e6 / cell.hardware.cpu.ghz;
        const slower = Math.max(writeMs, inflateMs);
        const scale = slower > 0 ? ms / slower : 0;
        use(
          phase,
          { resource: STORAGE, ms: writeMs * scale, weight: 1 },
          { resource: CPU, ms: inflateMs * scale, weight: 1 },
        );
        break;
      }
      case 'kernel_load':
        use(phase, { resource: STORAGE, ms, weight: 1 });
        break;
      case 'kernel_decompress':
      case 'app_start':
        use(phase, { resource: CPU, ms, weight: 1 });
        break;
      case 'kernel_init': {
        // Device probing is the guest trapping to the VMM, which is set-up work; the rest is the boot vCPU computing.
        // Only VMs boot a guest kernel, so only they have this phase.
        const probeMs = isVmEngine(engine)
          ? Math.min(ms, probedDevices(engine.boot, cell) * deviceProbeMs(engine.boot, cell))
          : 0;
        // Waits in the guest (timeouts) keep no host thread busy.
        const waitMs = isVmEngine(engine) ? Math.min(ms - probeMs, guestWaitMs(engine.boot, cell)) : 0;
        use(phase, { resource: CPU, ms: ms - probeMs - waitMs, weight: 1 });
        setup(phase, probeMs, 0);
        delay(phase, waitMs);
        break;
      }
      case 'idle_wakeups':
        if (ms > 0) steps.push({ kind: 'alone', phase, ms });
        break;
      case 'api_call':
      case 'placement':
      case 'volume_from_snapshot':
      case 'network_attach':
        // A cloud control plane works on other machines: the host only waits.
        delay(phase, ms);
        break;
      case 'init_system': {
        const parallelism = Math.max(1, Math.min(cell.options.vcpus, MAX_SERVICE_PARALLELISM));
        use(phase, { resource: CPU, ms, weight: parallelism });
        break;
      }
      default:
        setup(phase, ms, name === serialPhase ? params.serialMs.value : 0);
    }
  });
  closeGate();

  const { sockets, coresPerSocket, threadsPerCore } = cell.hardware.cpu;
  const cores = sockets * coresPerSocket;
  const hostThreads = cores * (1 + SMT_THREAD_YIELD.value * (threadsPerCore - 1));
  return {
    phases: names,
    steps,
    gates,
    cpuCapacity: cpuLeftForStarts(
      hostThreads,
      (settings.running ?? 0) * cell.app.demandCores,
      Math.min(settings.concurrency ?? settings.instances, settings.instances),
    ),
    backgroundCpuMs: Math.max(0, params.backgroundCpuMs.value),
    guestFrom: isVmKind(engine.kind) ? names.findIndex((n) => GUEST_FIRST_PHASES.includes(n)) : -1,
    guestTo: isVmKind(engine.kind) ? names.indexOf('app_start') : -1,
    concurrency: Math.max(0, Math.floor(settings.concurrency ?? 0)),
    launcherMs: Math.max(0, settings.launcherMs ?? 0),
    harnessCpuMs: Math.max(0, settings.harnessCpuMs ?? 0),
    handoffWaitMs: CFS_WAKEUP_WAIT_MS.value,
    serialPhase,
    params,
  };
}
