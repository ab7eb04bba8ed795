import { assumed } from '../param.js';
import type { Cell, StormSettings } from '../types.js';
import {
  APP_LAYER_COMPRESSION,
  bootPhases,
  DECOMPRESS_CYCLES_PER_BYTE,
  MAX_SERVICE_PARALLELISM,
  PULL_ROUND_TRIPS_PER_LAYER,
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
  // A microVM's VMM reads a vmlinux from the host; other VMs read the kernel from their own disk,
  // which is one file only for linked clones of one base.
  return settings.sharedImage && (engine.kind === 'microvm' || cell.options.linkedClones);
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
          ? Math.min(ms, engine.boot.devices.value * engine.boot.deviceProbeMs.value)
          : 0;
        use(phase, { resource: CPU, ms: ms - probeMs, weight: 1 });
        setup(phase, probeMs, 0);
        break;
      }
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
    cpuCapacity: cpuLeftForStarts(hostThreads, (settings.running ?? 0) * cell.app.demandCores, settings.instances),
    backgroundCpuMs: Math.max(0, params.backgroundCpuMs.value),
    serialPhase,
    params,
  };
}
