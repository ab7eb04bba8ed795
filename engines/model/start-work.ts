import { kernelCosts } from '../hardware/kernel-costs.js';
import type { HardwareProfile } from '../types.js';

/**
 * Start-up as work: what one phase of a process, container or sandbox start does, counted in
 * operations whose price the host sets. Every count is optional; a phase's time is the sum of
 * each count times its unit cost on the hardware profile, so it follows the CPU's clock, the
 * kernel's system-call cost and the storage, and a profile measured on a host (or fitted by
 * `virtbench calibrate --host`) prices every engine at once.
 */
export interface StartWork {
  /** User-space and kernel CPU work not counted as an operation below, Mcycles. */
  readonly mcycles?: number;
  /** Plain system calls. */
  readonly syscalls?: number;
  readonly forkExecs?: number;
  /** Namespaces other than the network one. */
  readonly namespaces?: number;
  readonly netns?: number;
  readonly mounts?: number;
  readonly cgroupWrites?: number;
  /** Inter-process requests with their replies over a Unix socket. */
  readonly roundTrips?: number;
  /** Writes made durable, each a storage round trip. */
  readonly fsyncs?: number;
  /** Bytes read from storage, MiB. */
  readonly readMiB?: number;
}

const MIB = 1024 * 1024;

/** Milliseconds the work takes on the hardware, one step after the other. */
export function workMs(work: StartWork, hardware: HardwareProfile): number {
  const k = kernelCosts(hardware);
  const us =
    (work.forkExecs ?? 0) * k.forkExecUs +
    (work.namespaces ?? 0) * k.namespaceUs +
    (work.netns ?? 0) * k.netnsUs +
    (work.mounts ?? 0) * k.mountUs +
    (work.cgroupWrites ?? 0) * k.cgroupWriteUs +
    (work.roundTrips ?? 0) * k.ipcRoundTripUs +
    (work.fsyncs ?? 0) * hardware.storage.latencyUs +
    ((work.syscalls ?? 0) * hardware.cpu.syscallNs) / 1000;
  const cpuMs = (work.mcycles ?? 0) / hardware.cpu.ghz; // Mcycles / (Gcycles/s) = ms
  const readMs = (((work.readMiB ?? 0) * MIB) / (hardware.storage.seqReadMBs * 1e6)) * 1000;
  return us / 1000 + cpuMs + readMs;
}
