import type { Cell, HardwareProfile, Workload } from '../types.js';
import { isVmKind, type ModeledEngineSpec } from './params.js';

export type OverheadDimension = 'cpu' | 'memory' | 'disk' | 'network';
export const OVERHEAD_DIMENSIONS: readonly OverheadDimension[] = ['cpu', 'memory', 'disk', 'network'];

/** Seconds one unit of the workload spends in each dimension. */
export type DimensionTimes = Record<OverheadDimension, number>;

/** Ethernet payload per packet at the standard MTU, bytes. */
export const MTU_BYTES = 1500;
/**
 * Application bytes in one full-size TCP segment: the 1500-byte MTU less 20 bytes of IP header,
 * 20 of TCP header and 12 of the timestamp option Linux sends by default.
 */
export const TCP_PAYLOAD_BYTES = 1448;
/**
 * Bytes one full-size frame occupies on Ethernet: the MTU plus the 14-byte header, 4-byte frame
 * check, 8-byte preamble and 12-byte inter-frame gap. Bulk TCP moves TCP_PAYLOAD_BYTES per frame.
 */
export const WIRE_BYTES_PER_FRAME = 1538;

/** Application throughput that bulk TCP gets out of a link of `gbits`, Mbit/s. */
export function tcpGoodputMbits(gbits: number): number {
  return gbits * 1000 * (TCP_PAYLOAD_BYTES / WIRE_BYTES_PER_FRAME);
}

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
  return usableThreads(workload.threads, hardware, vcpus, isVm);
}

/** Threads that can run at once: no more than the host has, nor than a VM's vCPUs. */
export function usableThreads(wanted: number, hardware: HardwareProfile, vcpus: number, isVm: boolean): number {
  const hostThreads = hardware.cpu.sockets * hardware.cpu.coresPerSocket * hardware.cpu.threadsPerCore;
  return Math.max(1, Math.min(wanted, hostThreads, isVm ? vcpus : hostThreads));
}

/** What the engine's network path adds: serial CPU per packet, and latency per round trip. */
export interface NetworkPathCost {
  readonly packetUs: number;
  readonly roundTripExtraUs: number;
}

/** The engine's network path in this cell. Containers in the host's network namespace skip the bridge and NAT entirely. */
export function networkPath(engine: ModeledEngineSpec, cell: Cell): NetworkPathCost {
  const hostNetwork = (engine.kind === 'container' || engine.kind === 'native') && cell.options.network === 'host';
  return hostNetwork
    ? { packetUs: 0, roundTripExtraUs: 0 }
    : { packetUs: engine.costs.networkPacketUs.value, roundTripExtraUs: engine.costs.networkRoundTripExtraUs.value };
}

/** Serial CPU each random read and write pays in an engine's I/O path, µs. */
export interface IoPathCost {
  readonly readUs: number;
  readonly writeUs: number;
}

const NO_IO_PATH: IoPathCost = { readUs: 0, writeUs: 0 };

/**
 * Seconds for the workload's random 4 KiB I/O: the slowest of three resources, which all work at
 * once. The device: reads and writes share the part of their cost that `readWriteOverlap` leaves
 * shared and run the rest in separate pipelines. The engine's I/O path: one thread that handles
 * every request in turn. The queue: `depth` requests in flight, each held for the device latency
 * plus its path cost (Little's law).
 */
export function randomIoSeconds(w: Workload, storage: HardwareProfile['storage'], path: IoPathCost): number {
  const reads = w.diskRandReadK * 1e3;
  const writes = w.diskRandWriteK * 1e3;
  const ops = reads + writes;
  if (ops <= 0) return 0;
  const readUs = 1e6 / storage.randReadIops;
  const writeUs = 1e6 / storage.randWriteIops;
  const sharedUs = (1 - (storage.readWriteOverlap ?? 0)) * Math.min(readUs, writeUs);
  const deviceUs = ops * sharedUs + Math.max(reads * (readUs - sharedUs), writes * (writeUs - sharedUs));
  const pathUs = reads * path.readUs + writes * path.writeUs;
  const queueUs = (ops * storage.latencyUs + pathUs) / w.diskQueueDepth;
  return Math.max(deviceUs, pathUs, queueUs) * 1e-6;
}

/** The workload's time per dimension running directly on the host. */
export function nativeTimes(cell: Cell): DimensionTimes {
  const { workload: w, hardware: hw } = cell;
  const threads = computeThreads(w, hw, cell.options.vcpus, false);
  return {
    cpu: w.computeGcycles / (hw.cpu.ghz * threads) + w.syscallsM * 1e6 * hw.cpu.syscallNs * 1e-9,
    memory: w.memoryGB / hw.memory.bandwidthGBs + w.randomAccessesM * 1e6 * hw.memory.randomAccessNs * 1e-9,
    disk: diskSeconds(w, hw, 0, NO_IO_PATH),
    network: (w.networkMB * 8) / tcpGoodputMbits(hw.network.gbits) + w.roundTripsK * 1e3 * hw.network.rttUs * 1e-6,
  };
}

function diskSeconds(w: Workload, hw: HardwareProfile, seqFraction: number, path: IoPathCost): number {
  const s = hw.storage;
  const seq = (w.diskSeqReadMB / s.seqReadMBs + w.diskSeqWriteMB / s.seqWriteMBs) * (1 + seqFraction);
  return seq + randomIoSeconds(w, s, path);
}

/** The workload's time per dimension inside one instance of the engine. */
export function engineTimes(engine: ModeledEngineSpec, cell: Cell): DimensionTimes {
  const { workload: w, hardware: hw, options } = cell;
  const c = engine.costs;
  const vm = isVmKind(engine.kind);
  const threads = computeThreads(w, hw, options.vcpus, vm);
  const parallelPenalty = vm && threads > 1 && !options.pinning ? c.unpinnedParallelFraction.value : 0;
  const computeScale = (1 + effectiveCpuFraction(engine, cell)) * (1 + parallelPenalty);
  const { packetUs, roundTripExtraUs } = networkPath(engine, cell);
  const linkMbits = tcpGoodputMbits(hw.network.gbits);
  // One full-size segment per packet: the path's serial per-packet cost caps bulk throughput.
  const pathMbits = packetUs > 0 ? (TCP_PAYLOAD_BYTES * 8) / packetUs : Infinity;
  return {
    cpu:
      (w.computeGcycles / (hw.cpu.ghz * threads)) * computeScale +
      w.syscallsM * 1e6 * (hw.cpu.syscallNs + c.syscallExtraNs.value) * 1e-9,
    memory:
      (w.memoryGB / hw.memory.bandwidthGBs) * (1 + c.memoryBandwidthFraction.value) +
      w.randomAccessesM * 1e6 * (hw.memory.randomAccessNs + c.randomAccessExtraNs.value) * 1e-9,
    disk: diskSeconds(w, hw, c.diskSeqFraction.value, {
      readUs: c.diskIoPathUs.value,
      writeUs: c.diskWritePathUs.value,
    }),
    network:
      (w.networkMB * 8) / Math.min(linkMbits, pathMbits) +
      w.roundTripsK * 1e3 * (hw.network.rttUs + roundTripExtraUs) * 1e-6,
  };
}

/** Percent slower than native; 0 for a dimension the workload does not use. */
export function overheadPercent(engineSeconds: number, nativeSeconds: number): number {
  if (nativeSeconds <= 0) return 0;
  return (engineSeconds / nativeSeconds - 1) * 100;
}
