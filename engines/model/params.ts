import type { EngineKind, Param } from '../types.js';

/** Start-up costs of anything that boots a guest kernel (type 1, type 2, microVM). */
export interface VmBootParams {
  /** Starting the VMM process and creating the VM (KVM_CREATE_VM, memory regions, vCPU threads), ms. */
  readonly vmmStartMs: Param;
  /** Firmware from reset to the boot loader (BIOS/UEFI POST); 0 when the VMM loads the kernel directly. */
  readonly firmwareMs: Param;
  /** Boot loader menu and kernel hand-off; 0 when there is none. */
  readonly bootloaderMs: Param;
  /** Virtual devices the guest kernel probes during init. */
  readonly devices: Param;
  /** Guest-kernel time to probe one device on this VMM (emulated devices cost more exits), ms. */
  readonly deviceProbeMs: Param;
}

/** Start-up costs of containers and sandboxes, which share or proxy the host kernel. */
export interface ContainerBootParams {
  /** Engine daemon API call and per-container shim start (dockerd, containerd, shim); 0 for bare runtimes. */
  readonly daemonMs: Param;
  /** The OCI runtime's own start: reading the bundle, forking the container init, exec, ms. */
  readonly runtimeStartMs: Param;
  /** Creating the pid, mount, uts and ipc namespaces, ms. */
  readonly namespacesMs: Param;
  /** A new network namespace with a veth pair on a bridge and NAT rules; paid only in bridge mode, ms. */
  readonly networkNamespaceMs: Param;
  /** Creating and joining the container's cgroup, ms. */
  readonly cgroupMs: Param;
  /** Mounting one overlay layer of the root filesystem, ms. */
  readonly layerMountMs: Param;
  /** Booting a user-space kernel (gVisor's Sentry and Gofer); 0 for plain containers, ms. */
  readonly sandboxKernelStartMs: Param;
}

export interface NativeBootParams {
  /** fork + exec of the entry point, ms. */
  readonly execMs: Param;
}

/** Memory an engine costs the host beyond the workload itself. */
export interface MemoryParams {
  /** Per instance: VMM process, shim, sandbox kernel, page tables, MiB. */
  readonly instanceOverheadMiB: Param;
  /** Kept by the hypervisor or host OS for itself, MiB. */
  readonly hostReserveMiB: Param;
  /** Share of guest-OS memory that same-page merging reclaims when it is on. */
  readonly pageSharingFraction: Param;
  /**
   * Host memory per MiB of a container's working set that the engine adds on top of it: a
   * sandbox kernel caching the application's file pages a second time, and its own bookkeeping.
   * VMs reserve their whole guest RAM instead, so they ignore it.
   */
  readonly workingSetOverheadFraction: Param;
}

/** Per-operation costs against native, the mechanism behind every overhead figure. */
export interface CostParams {
  /** Extra time per unit of user-mode compute: timer and interrupt exits, host scheduling of the VMM. */
  readonly cpuFraction: Param;
  /** Extra time for multi-threaded compute when vCPUs float and the guest cannot see the host topology. */
  readonly unpinnedParallelFraction: Param;
  /** Extra time for bandwidth-bound memory traffic. */
  readonly memoryBandwidthFraction: Param;
  /** Extra time per TLB-missing access: the two-dimensional page walk of nested paging, ns. */
  readonly randomAccessExtraNs: Param;
  /** Extra time per system call: interception by a sandbox, or a trap to a binary translator, ns. */
  readonly syscallExtraNs: Param;
  /** Extra time for sequential disk transfer. */
  readonly diskSeqFraction: Param;
  /**
   * Serial CPU cost of one read in the engine's I/O path (VM exit, VMM I/O thread, interrupt
   * injection), µs. One thread serves the path, so it caps IOPS at 1 / cost.
   */
  readonly diskIoPathUs: Param;
  /** The same for one write, which copies its data the other way and completes differently, µs. */
  readonly diskWritePathUs: Param;
  /** Serial per-packet CPU cost in the engine's network path (vhost, bridge, NAT), µs; caps throughput. */
  readonly networkPacketUs: Param;
  /** Extra latency a request/response pays through the engine's network path, µs. */
  readonly networkRoundTripExtraUs: Param;
  /** Extra time per unit of compute when the host has no hardware virtualization and the VMM emulates. */
  readonly emulationFraction: Param;
}

/**
 * How concurrent starts of one engine contend with each other beyond the host's CPU, storage and
 * network. Only the boot-storm simulation (engines/model/storm.ts) reads these.
 */
export interface StormParams {
  /**
   * Time each start spends inside the engine's one serialised section (a daemon's global lock, the
   * VMM creation path), ms. It is part of the phase that section belongs to (daemon for containers,
   * vmm_start for VMs), not extra time.
   */
  readonly serialMs: Param;
  /**
   * Share of the fixed set-up phases (VMM start, firmware, boot loader, daemon, runtime, namespaces,
   * cgroups, mounts, device probing) that keeps a host thread busy; the rest is waiting on other
   * processes or devices, which overlaps freely between instances.
   */
  readonly setupCpuFraction: Param;
  /**
   * Host CPU each start costs off its own boot path, ms of one thread: the launcher around the VMM
   * or runtime (jailer, configuration API calls, tap or veth set-up) and, under steady churn,
   * tearing down the instance it replaces. In a storm it competes for the CPU with every other
   * start, but it does not delay the instance it belongs to.
   */
  readonly backgroundCpuMs: Param;
}

/** Run-to-run variation, as coefficients of variation. */
export interface NoiseParams {
  readonly bootCov: Param;
  readonly runCov: Param;
}

interface CommonParams {
  readonly memory: MemoryParams;
  readonly costs: CostParams;
  readonly noise: NoiseParams;
  /** Contention between concurrent starts; engines without it get the storm model's assumed defaults. */
  readonly storm?: StormParams;
}

export type BootParamsFor<K extends EngineKind> = K extends 'native'
  ? NativeBootParams
  : K extends 'container' | 'sandbox'
    ? ContainerBootParams
    : VmBootParams;

/** A modeled engine's whole definition: a kind that picks the mechanism, and the costs that feed it. */
export type ModeledEngineSpec = {
  [K in EngineKind]: CommonParams & {
    readonly id: string;
    readonly title: string;
    readonly kind: K;
    /** The engine cannot fall back to emulation on a host without VT-x/AMD-V. */
    readonly requiresVirtualization?: boolean;
    readonly boot: BootParamsFor<K>;
  };
}[EngineKind];

export function isVmKind(kind: EngineKind): kind is 'type1' | 'type2' | 'microvm' {
  return kind === 'type1' || kind === 'type2' || kind === 'microvm';
}

export function isContainerKind(kind: EngineKind): kind is 'container' | 'sandbox' {
  return kind === 'container' || kind === 'sandbox';
}
