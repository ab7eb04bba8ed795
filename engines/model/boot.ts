import type { Cell } from '../types.js';
import { effectiveCpuFraction } from './overhead.js';
import {
  type ContainerBootParams,
  isContainerEngine,
  isVmEngine,
  type ModeledEngineSpec,
  type VmBootParams,
} from './params.js';
import { workMs } from './start-work.js';

/** One named stage of start-up and its duration. Phases are reported in the order they happen. */
export interface Phase {
  readonly name: string;
  readonly ms: number;
}

/**
 * Kernel and initramfs decompression costs about this many cycles per compressed byte.
 * assumed: zstd/gzip inflate at roughly 250-350 MB/s of input per 2.4 GHz core.
 */
export const DECOMPRESS_CYCLES_PER_BYTE = 8;
/** Registry round trips per layer for a pull: manifest, token, blob redirect, blob. assumed. */
export const PULL_ROUND_TRIPS_PER_LAYER = 4;
/** Services start in parallel up to this many at once under systemd or OpenRC. assumed. */
export const MAX_SERVICE_PARALLELISM = 4;

const MIB = 1024 * 1024;

/** Milliseconds that `mcycles` million cycles take on the modeled CPU. */
function cpuMs(mcycles: number, cell: Cell): number {
  return mcycles / cell.hardware.cpu.ghz; // Mcycles / (Gcycles/s) = ms
}

function storageReadMs(mib: number, cell: Cell, extraFraction: number): number {
  return ((mib * MIB) / (cell.hardware.storage.seqReadMBs * 1e6)) * 1000 * (1 + extraFraction);
}

/**
 * The start-up phases of one instance, from the engine's mechanism: whether a guest kernel boots,
 * whether an image must be fetched, and what the runtime sets up.
 */
export function bootPhases(engine: ModeledEngineSpec, cell: Cell): Phase[] {
  const cpuScale = 1 + effectiveCpuFraction(engine, cell);
  const appStart: Phase = { name: 'app_start', ms: cpuMs(cell.app.startMcycles, cell) * cpuScale };
  if (engine.kind === 'native') {
    return [{ name: 'exec', ms: workMs({ forkExecs: engine.boot.forkExecs.value }, cell.hardware) }, appStart];
  }
  if (isContainerEngine(engine)) {
    return [...containerPhases(engine.boot, engine, cell), appStart].filter((p) => p.ms > 0);
  }
  if (isVmEngine(engine)) {
    return [...vmPhases(engine.boot, engine, cell, cpuScale), appStart].filter((p) => p.ms > 0);
  }
  throw new Error(`no boot mechanism for kind ${(engine as ModeledEngineSpec).kind}`);
}

function containerPhases(boot: ContainerBootParams, engine: ModeledEngineSpec, cell: Cell): Phase[] {
  const { os, hardware, options } = cell;
  const layers = os.containerLayers.value + 1; // the application adds one layer
  const phases: Phase[] = [];
  if (!options.imageCached) {
    const compressedMiB = os.containerCompressedMiB.value + cell.app.sizeMiB * APP_LAYER_COMPRESSION;
    const transferMs = ((compressedMiB * MIB * 8) / (hardware.network.gbits * 1e9)) * 1000;
    const roundTripsMs = (layers * PULL_ROUND_TRIPS_PER_LAYER * hardware.network.rttUs) / 1000;
    phases.push({ name: 'image_pull', ms: transferMs + roundTripsMs });
    const unpackedMiB = os.containerUnpackedMiB.value + cell.app.sizeMiB;
    const writeMs = ((unpackedMiB * MIB) / (hardware.storage.seqWriteMBs * 1e6)) * 1000;
    const inflateMs = cpuMs((compressedMiB * MIB * DECOMPRESS_CYCLES_PER_BYTE) / 1e6, cell);
    // Unpacking streams decompression into the filesystem, so the slower of the two sets the pace.
    phases.push({ name: 'unpack', ms: Math.max(writeMs, inflateMs) });
  }
  const work = (phase: string, ms: number): void => {
    phases.push({ name: phase, ms });
  };
  work(
    'daemon',
    workMs(
      {
        roundTrips: boot.daemonRoundTrips.value,
        forkExecs: boot.daemonForkExecs.value,
        mcycles: boot.daemonMcycles.value,
        fsyncs: boot.daemonFsyncs.value,
      },
      hardware,
    ),
  );
  work(
    'runtime_start',
    workMs(
      {
        forkExecs: boot.runtimeForkExecs.value,
        mcycles: boot.runtimeMcycles.value,
        syscalls: boot.runtimeSyscalls.value,
      },
      hardware,
    ),
  );
  // A user-space kernel boots as part of the runtime's start, in its own processes.
  if (engine.kind === 'sandbox')
    work(
      'sandbox_kernel',
      workMs({ forkExecs: boot.sandboxForkExecs.value, mcycles: boot.sandboxMcycles.value }, hardware),
    );
  work('namespaces', workMs({ namespaces: boot.namespaces.value }, hardware));
  if (options.network === 'bridge')
    work(
      'network_setup',
      workMs({ netns: 1, forkExecs: boot.bridgeForkExecs.value, syscalls: boot.bridgeSyscalls.value }, hardware),
    );
  work('cgroups', workMs({ cgroupWrites: boot.cgroupWrites.value }, hardware));
  work('rootfs_mount', workMs({ mounts: boot.mounts.value }, hardware));
  return phases;
}

/**
 * Exit latency of a core's deepest idle state when the hardware profile gives none, µs.
 * assumed: Linux intel_idle lists 133 µs for C6 on Skylake-SP server parts; desktop parts are lower.
 */
export const IDLE_EXIT_US = 133;

/** Hand-offs of one control request: the VMM's API thread woken by the request, the client by the reply. */
export const CONTROL_CALL_HANDOFFS = 2;

/** Milliseconds that `exits` VM exits of `kcycles` thousand cycles each take on the modeled CPU. */
function exitsMs(exits: number, kcycles: number, cell: Cell): number {
  return cpuMs((exits * kcycles) / 1000, cell);
}

/**
 * The start-up of a VM as the work it does: the VMM's host CPU, its control path, firmware and
 * boot loader as guest CPU and exits, the kernel read from storage and inflated, the kernel's
 * init and device probes, and on an idle host the wake-ups of idle cores. Each *Ms parameter adds
 * what an engine still gives as wall-clock time.
 */
function vmPhases(boot: VmBootParams, engine: ModeledEngineSpec, cell: Cell, cpuScale: number): Phase[] {
  const { os } = cell;
  const diskExtra = engine.costs.diskSeqFraction.value;
  const direct = cell.options.boot === 'direct';
  const exitKcycles = boot.exitKcycles.value;
  const plane = engine.controlPlane;
  const phases: Phase[] = plane
    ? [
        { name: 'api_call', ms: plane.apiCallMs.value },
        { name: 'placement', ms: plane.placementMs.value },
        { name: 'volume_from_snapshot', ms: plane.volumeFromSnapshotMs.value },
        { name: 'network_attach', ms: plane.networkAttachMs.value },
      ]
    : [];
  phases.push(
    { name: 'vmm_start', ms: boot.vmmStartMs.value + cpuMs(boot.vmmStartMcycles.value, cell) },
    {
      name: 'control_path',
      ms: cpuMs(boot.controlSetupMcycles.value + boot.controlCalls.value * boot.controlCallMcycles.value, cell),
    },
  );
  if (!direct) {
    phases.push({
      name: 'firmware',
      ms:
        boot.firmwareMs.value +
        cpuMs(boot.firmwareMcycles.value, cell) * cpuScale +
        exitsMs(boot.firmwareExits.value, exitKcycles, cell),
    });
    phases.push({
      name: 'bootloader',
      ms: boot.bootloaderMs.value + cpuMs(boot.bootloaderMcycles.value, cell) * cpuScale,
    });
  }
  // An image whose kernel is the same size either way (a unikernel's ELF) has nothing to inflate.
  if (boot.decompressesKernel.value > 0 && os.kernelCompressedMiB.value !== os.kernelUncompressedMiB.value) {
    phases.push({ name: 'kernel_load', ms: storageReadMs(os.kernelCompressedMiB.value, cell, diskExtra) });
    const inflateMcycles = (os.kernelCompressedMiB.value * MIB * DECOMPRESS_CYCLES_PER_BYTE) / 1e6;
    phases.push({ name: 'kernel_decompress', ms: cpuMs(inflateMcycles, cell) * cpuScale });
  } else {
    // The VMM maps an uncompressed vmlinux straight into guest memory: no decompression.
    phases.push({ name: 'kernel_load', ms: storageReadMs(os.kernelUncompressedMiB.value, cell, diskExtra) });
  }
  if (cell.options.network === 'bridge')
    phases.push({ name: 'network_setup', ms: cpuMs(boot.nicSetupMcycles.value, cell) });
  const probed = probedDevices(boot, cell);
  phases.push({
    name: 'kernel_init',
    ms:
      cpuMs(os.kernelInitMcycles.value, cell) * cpuScale + probed * deviceProbeMs(boot, cell) + guestWaitMs(boot, cell),
  });
  const parallelism = Math.max(1, Math.min(cell.options.vcpus, MAX_SERVICE_PARALLELISM));
  const servicesMs = (os.bootServices.value * cpuMs(os.serviceMcycles.value, cell) * cpuScale) / parallelism;
  phases.push({ name: 'init_system', ms: servicesMs });
  phases.push({ name: 'idle_wakeups', ms: idleWakeupMs(boot, cell) });
  return phases;
}

/** Time a boot alone on an idle host waits for idle cores to wake, once per hand-off between threads. */
export function idleWakeupMs(boot: VmBootParams, cell: Cell): number {
  const wakeups =
    (cell.os.bootIoRequests?.value ?? 0) * boot.wakeupsPerIo.value + CONTROL_CALL_HANDOFFS * boot.controlCalls.value;
  return (wakeups * (cell.hardware.cpu.idleExitUs ?? IDLE_EXIT_US)) / 1000;
}

/** The guest's waits on this VMM's devices; a guest without drivers probes nothing and waits for nothing. */
export function guestWaitMs(boot: VmBootParams, cell: Cell): number {
  return (cell.os.probesDevices?.value ?? 1) * boot.guestWaitMs.value;
}

/** Devices the guest kernel probes: the VMM's, and the NIC in bridge mode; none for a guest without drivers. */
export function probedDevices(boot: VmBootParams, cell: Cell): number {
  const nic = cell.options.network === 'bridge' ? 1 : 0;
  return (cell.os.probesDevices?.value ?? 1) * (boot.devices.value + nic);
}

/** Per device probed: the guest-kernel time of probing one device, exits included, ms. */
export function deviceProbeMs(boot: VmBootParams, cell: Cell): number {
  return boot.deviceProbeMs.value + exitsMs(boot.deviceProbeExits.value, boot.exitKcycles.value, cell);
}

/**
 * Share of an application layer's bytes left after registry compression.
 * assumed: typical gzip ratio of binaries plus text assets, in line with img-ubuntu (29.8 / 78.16).
 */
export const APP_LAYER_COMPRESSION = 0.4;
