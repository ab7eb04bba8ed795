import type { Cell, HardwareProfile, Workload } from '../types.js';
import { isVmKind, type ModeledEngineSpec } from './params.js';

export type OverheadDimension = 'cpu' | 'memory' | 'disk' | 'network';
export const OVERHEAD_DIMENSIONS: readonly OverheadDimension[] = ['cpu', 'memory', 'disk', 'network'];

/** Seconds one unit of the workload spends in each dimension. */
export type DimensionTimes = Record<OverheadDimension, number>;

/** Ethernet payload per packet for bulk TCP at the standard MTU, bytes. */
export const MTU_BYTES = 1500;

/**
 * Extra compute time per unit of work. A VM on a host without hardware virtualization falls back
 * to emulation, so the emulation cost is added on top of the engine's exit costs.
 */
export function effectiveCpuFraction(engine: ModeledEngineSpec, cell: Cell): number {
  const base = engine.costs.cpuFraction.value;
  if (isVmKind(engine.kind) && !cell.hardware.cpu.virtualization) return base + engine.costs.emulationFraction.value;
  return base;
}

function computeThreads(workload: Workload, hardware: HardwareProfile, vcpus: number, isVm: boolean): number {
  const hostThreads = hardware.cpu.sockets * hardware.cpu.coresPerSocket * hardware.cpu.threadsPerCore;
  return Math.max(1, Math.min(workload.threads, hostThreads, isVm ? vcpus : hostThreads));
}

/** Random 4 KiB IOPS a queue of `depth` requests sustains when each also pays `pathUs` of serial CPU. */
export function randomIops(deviceIops: number, latencyUs: number, depth: number, pathUs: number): number {
  const queueBound = (depth * 1e6) / (latencyUs + pathUs);
  const pathBound = pathUs > 0 ? 1e6 / pathUs : Infinity;
  return Math.min(deviceIops, queueBound, pathBound);
}

/** The workload's time per dimension running directly on the host. */
export function nativeTimes(cell: Cell): DimensionTimes {
  const { workload: w, hardware: hw } = cell;
  const threads = computeThreads(w, hw, cell.options.vcpus, false);
  return {
    cpu: w.computeGcycles / (hw.cpu.ghz * threads) + w.syscallsM * 1e6 * hw.cpu.syscallNs * 1e-9,
    memory: w.memoryGB / hw.memory.bandwidthGBs + w.randomAccessesM * 1e6 * hw.memory.randomAccessNs * 1e-9,
    disk: diskSeconds(w, hw, 0, 0),
    network: (w.networkMB * 8) / (hw.network.gbits * 1000) + w.roundTripsK * 1e3 * hw.network.rttUs * 1e-6,
  };
}

function diskSeconds(w: Workload, hw: HardwareProfile, seqFraction: number, pathUs: number): number {
  const s = hw.storage;
  const seq = (w.diskSeqReadMB / s.seqReadMBs + w.diskSeqWriteMB / s.seqWriteMBs) * (1 + seqFraction);
  const readIops = randomIops(s.randReadIops, s.latencyUs, w.diskQueueDepth, pathUs);
  const writeIops = randomIops(s.randWriteIops, s.latencyUs, w.diskQueueDepth, pathUs);
  return seq + (w.diskRandReadK * 1e3) / readIops + (w.diskRandWriteK * 1e3) / writeIops;
}

/** The workload's time per dimension inside one instance of the engine. */
export function engineTimes(engine: ModeledEngineSpec, cell: Cell): DimensionTimes {
  const { workload: w, hardware: hw, options } = cell;
  const c = engine.costs;
  const vm = isVmKind(engine.kind);
  const threads = computeThreads(w, hw, options.vcpus, vm);
  const parallelPenalty = vm && threads > 1 && !options.pinning ? c.unpinnedParallelFraction.value : 0;
  const computeScale = (1 + effectiveCpuFraction(engine, cell)) * (1 + parallelPenalty);
  // Containers in the host's network namespace skip the bridge and NAT entirely.
  const hostNetwork = (engine.kind === 'container' || engine.kind === 'native') && options.network === 'host';
  const packetUs = hostNetwork ? 0 : c.networkPacketUs.value;
  const roundTripExtraUs = hostNetwork ? 0 : c.networkRoundTripExtraUs.value;
  const linkMbits = hw.network.gbits * 1000;
  const pathMbits = packetUs > 0 ? (MTU_BYTES * 8) / packetUs : Infinity;
  return {
    cpu:
      (w.computeGcycles / (hw.cpu.ghz * threads)) * computeScale +
      w.syscallsM * 1e6 * (hw.cpu.syscallNs + c.syscallExtraNs.value) * 1e-9,
    memory:
      (w.memoryGB / hw.memory.bandwidthGBs) * (1 + c.memoryBandwidthFraction.value) +
      w.randomAccessesM * 1e6 * (hw.memory.randomAccessNs + c.randomAccessExtraNs.value) * 1e-9,
    disk: diskSeconds(w, hw, c.diskSeqFraction.value, c.diskIoPathUs.value),
    network:
      (w.networkMB * 8) / Math.min(linkMbits, pathMbits) + w.roundTripsK * 1e3 * (hw.network.rttUs + roundTripExtraUs) * 1e-6,
  };
}

/** Percent slower than native; 0 for a dimension the workload does not use. */
export function overheadPercent(engineSeconds: number, nativeSeconds: number): number {
  if (nativeSeconds <= 0) return 0;
  return (engineSeconds / nativeSeconds - 1) * 100;
}
