import type { EngineKind, GvisorPlatform, OciRuntime, Param } from '../types.js';

/**
 * Every parameter of a modeled engine, by group, each with what it means and its unit. The
 * parameter types below and the engine-profile schema (engines/profile.ts) are derived from these
 * lists, so a parameter is added or renamed here and nowhere else.
 */
export const PARAMETERS = {
  boot: {
    /** Start-up costs of anything that boots a guest kernel (type 1, type 2, microVM). */
    vm: {
      vmmStartMs: 'Starting the VMM process and creating the VM (KVM_CREATE_VM, memory regions, vCPU threads), ms.',
      firmwareMs: 'Firmware from reset to the boot loader (BIOS/UEFI POST); 0 when the VMM loads the kernel directly.',
      bootloaderMs: 'Boot loader menu and kernel hand-off; 0 when there is none.',
      devices: 'Virtual devices the guest kernel probes during init.',
      deviceProbeMs: 'Guest-kernel time to probe one device on this VMM (emulated devices cost more exits), ms.',
      // The work behind start-up, which the hardware profile turns into time (engines/model/boot.ts).
      // The *Ms parameters above hold what is not yet broken down into work: a recalled wall-clock figure, a timeout.
      vmmStartMcycles:
        'Host CPU work to start the VMM process and create the VM (exec, KVM_CREATE_VM, memory regions, vCPU threads, device models), Mcycles.',
      controlSetupMcycles:
        "The control path's fixed host work: parsing a configuration file, or starting the control client or toolstack (an API client, xl, virsh), Mcycles.",
      controlCalls:
        'Requests the control path makes before the guest runs: HTTP calls on an API socket, xenstore transactions, libvirt RPCs; 0 for a configuration file or command line.',
      controlCallMcycles: 'Host CPU work of one control request at both ends (client, socket, VMM handler), Mcycles.',
      firmwareMcycles:
        'Guest CPU work of the firmware from reset to the boot loader or kernel (POST, ACPI tables), Mcycles.',
      firmwareExits: 'VM exits the firmware takes to the VMM (port I/O, fw_cfg reads, option ROMs).',
      bootloaderMcycles: 'Guest CPU work of the boot loader, Mcycles.',
      exitKcycles: 'Host CPU work of one VM exit handled by this VMM and the return to the guest, thousands of cycles.',
      deviceProbeExits: 'VM exits the guest kernel takes to probe one device (config-space and register accesses).',
      decompressesKernel:
        '1 when the guest boots a compressed kernel (bzImage) that it inflates itself; 0 when the VMM maps an uncompressed vmlinux or ELF.',
      guestWaitMs:
        "Wall-clock waits in the guest kernel's boot on this VMM that are not work: probes of devices the VMM emulates in part timing out, clock calibration against a slow timer, ms.",
      nicSetupMcycles:
        'Host work to create and attach a tap device with its virtual NIC, with the guest driver bringing it up, Mcycles; paid in bridge mode.',
      wakeupsPerIo:
        "Thread hand-offs per guest block request during boot (the VMM's I/O thread woken, the halted vCPU woken with the completion); on an idle host each pays the CPU's idle-state exit.",
    },
    /**
     * Start-up work of containers and sandboxes, which share or proxy the host kernel: counts of
     * what each phase does, priced by the host (engines/hardware/kernel-costs.ts, engines/model/start-work.ts).
     */
    container: {
      daemonRoundTrips:
        'Requests and replies on the daemon path (client to engine daemon, daemon to containerd, containerd to the shim), each over a Unix socket; 0 for bare runtimes.',
      daemonForkExecs:
        'Processes the daemon path starts besides the runtime: the client binary, the shim (which re-executes itself), runtime hooks.',
      daemonMcycles:
        'CPU work of the daemon path for one container: the start of every Go binary it executes (which grows with the binary) and request handling, Mcycles.',
      daemonFsyncs: 'Durable metadata writes on the daemon path (containerd bolt commits, daemon config files).',
      runtimeForkExecs:
        "fork+exec the OCI runtime makes: its own binary, its re-execution as the container's init, the container's process.",
      runtimeMcycles:
        "The runtime's CPU work besides the kernel operations counted apart: its language runtime's start for each exec of it, reading the bundle, Mcycles.",
      runtimeSyscalls: 'Plain system calls the runtime makes besides the operations counted apart.',
      namespaces:
        'Namespaces created besides the network one: pid, mount, uts, ipc (user and cgroup where the tool makes them).',
      bridgeForkExecs:
        'Bridge mode: helper processes run to wire the network (iptables, a CNI plugin, a proxy), besides the network namespace.',
      bridgeSyscalls:
        'Bridge mode: netlink and other system calls that create the veth pair, attach it to the bridge and add NAT rules.',
      cgroupWrites: 'cgroup file-system operations: a directory per controller, limits written, the process attached.',
      mounts:
        "Mounts made for the container: the root's bind or overlay and pivot_root, proc, dev, devpts, shm, mqueue, sys, masked and read-only paths, the daemon's /etc binds.",
      sandboxForkExecs: "Processes of a user-space kernel (gVisor's Sentry and Gofer); 0 for plain containers.",
      sandboxMcycles:
        "CPU work to boot a user-space kernel: its Go runtime start, its own kernel's and virtual file system's set-up, Mcycles; 0 for plain containers.",
    },
    /** Start-up work of a plain process. */
    native: {
      forkExecs: 'fork + exec of the entry point.',
    },
  },
  /**
   * Memory an engine costs the host beyond the workload itself. Resident memory (what the host
   * holds) and reserved memory (what the configuration claims) both come from these, the image's
   * guest-OS memory and the app's working set (engines/model/density.ts), with no parameter of their own.
   */
  memory: {
    instanceOverheadMiB: 'Per instance: VMM process, shim, sandbox kernel, page tables, MiB.',
    hostReserveMiB: 'Kept by the hypervisor or host OS for itself, MiB.',
    pageSharingFraction: 'Share of guest-OS memory that same-page merging reclaims when it is on.',
    workingSetOverheadFraction:
      "Host memory per MiB of a container's working set that the engine adds on top of it: a sandbox kernel " +
      "caching the application's file pages a second time, and its own bookkeeping. A VM's guest kernel keeps " +
      'that inside guest RAM, where its guest-OS memory counts it, so VMs ignore it.',
  },
  /** Per-operation costs against native, the mechanism behind every overhead figure. */
  costs: {
    cpuFraction: 'Extra time per unit of user-mode compute: timer and interrupt exits, host scheduling of the VMM.',
    unpinnedParallelFraction:
      'Extra time for multi-threaded compute when vCPUs float and the guest cannot see the host topology.',
    memoryBandwidthFraction: 'Extra time for bandwidth-bound memory traffic.',
    randomAccessExtraNs: 'Extra time per TLB-missing access: the two-dimensional page walk of nested paging, ns.',
    syscallExtraNs: 'Extra time per system call: interception by a sandbox, or a trap to a binary translator, ns.',
    diskSeqFraction: 'Extra time for sequential disk transfer.',
    diskIoPathUs:
      "Serial CPU cost of one read in the engine's I/O path (VM exit, VMM I/O thread, interrupt injection), µs. " +
      'One thread serves the path, so it caps IOPS at 1 / cost.',
    diskWritePathUs: 'The same for one write, which copies its data the other way and completes differently, µs.',
    networkPacketUs:
      "Serial per-packet CPU cost in the engine's network path (vhost, bridge, NAT), µs; caps throughput.",
    networkRoundTripExtraUs: "Extra latency a request/response pays through the engine's network path, µs.",
    emulationFraction:
      'Extra time per unit of compute when the host has no hardware virtualization and the VMM emulates.',
  },
  /**
   * How concurrent starts of one engine contend with each other beyond the host's CPU, storage and
   * network. Only the boot-storm simulation (engines/model/storm.ts) reads these.
   */
  storm: {
    serialMs:
      "Time each start spends inside the engine's one serialised section (a daemon's global lock, the VMM " +
      'creation path), ms. It is part of the phase that section belongs to (daemon for containers, vmm_start ' +
      'for VMs), not extra time.',
    setupCpuFraction:
      'Share of the fixed set-up phases (VMM start, firmware, boot loader, daemon, runtime, namespaces, cgroups, ' +
      'mounts, device probing) that keeps a host thread busy; the rest is waiting on other processes or devices, ' +
      'which overlaps freely between instances.',
    backgroundCpuMs:
      'Host CPU each start costs off its own boot path, ms of one thread: the launcher around the VMM or runtime ' +
      '(jailer, configuration API calls, tap or veth set-up) and, under steady churn, tearing down the instance ' +
      'it replaces. In a storm it competes for the CPU with every other start, but it does not delay the ' +
      'instance it belongs to.',
  },
  /**
   * A cloud provider's control plane in front of a VM's boot: what happens between the launch
   * request and the hypervisor starting the guest. Only engines that launch cloud instances have it.
   */
  controlPlane: {
    apiCallMs: 'The launch request: authentication, validation and queueing by the API front end, ms.',
    placementMs: 'Choosing a host with capacity and reserving it, ms.',
    volumeFromSnapshotMs: 'Creating the root volume from its snapshot and attaching it, ms.',
    networkAttachMs: 'Creating and attaching the network interface with its address and security groups, ms.',
  },
  /** Run-to-run variation, as coefficients of variation. */
  noise: {
    bootCov: 'Run-to-run variation of each boot phase, as a coefficient of variation.',
    runCov: 'Run-to-run variation of each workload dimension, as a coefficient of variation.',
  },
} as const;

/** A group of parameters: each name with what it means. */
export type ParamGroup = Readonly<Record<string, string>>;

/** The values of a group: one Param for each of its names. */
export type ParamsOf<Group extends ParamGroup> = { readonly [Name in keyof Group]: Param };

/** The names of a group, in the order they are written. */
export function paramNames<Group extends ParamGroup>(group: Group): (keyof Group & string)[] {
  return Object.keys(group);
}

export type VmBootParams = ParamsOf<typeof PARAMETERS.boot.vm>;
export type ContainerBootParams = ParamsOf<typeof PARAMETERS.boot.container>;
export type NativeBootParams = ParamsOf<typeof PARAMETERS.boot.native>;
export type MemoryParams = ParamsOf<typeof PARAMETERS.memory>;
export type CostParams = ParamsOf<typeof PARAMETERS.costs>;
export type StormParams = ParamsOf<typeof PARAMETERS.storm>;
export type NoiseParams = ParamsOf<typeof PARAMETERS.noise>;
export type ControlPlaneParams = ParamsOf<typeof PARAMETERS.controlPlane>;

/** Which boot parameters each kind of engine has: the kind decides which start-up phases exist. */
export const BOOT_GROUP_OF_KIND = {
  native: 'native',
  container: 'container',
  sandbox: 'container',
  microvm: 'vm',
  type1: 'vm',
  type2: 'vm',
} as const satisfies Record<EngineKind, keyof typeof PARAMETERS.boot>;

type BootGroupName = keyof typeof PARAMETERS.boot;

/** The kinds whose boot parameters are the named group. */
type KindsBooting<Group extends BootGroupName> = {
  [K in EngineKind]: (typeof BOOT_GROUP_OF_KIND)[K] extends Group ? K : never;
}[EngineKind];

export type VmKind = KindsBooting<'vm'>;
export type ContainerKind = KindsBooting<'container'>;

/**
 * How a system call reaches a user-space kernel: the host kernel entries and CPU work of one
 * interception, or a fixed time where neither explains it. It replaces the host system call.
 */
export interface SyscallInterception {
  readonly kernelEntries: Param;
  readonly kcycles: Param;
  readonly fixedNs: Param;
}

/** What one value of an engine option changes: some boot work, some costs, how system calls are caught. */
export interface OptionVariant {
  /** Said in the measurement's notes, so the report names the choice. */
  readonly note: string;
  readonly boot?: Readonly<Partial<Record<string, Param>>>;
  readonly costs?: Partial<CostParams>;
  readonly interception?: SyscallInterception;
}

/** Engine options that change the mechanism, each with its default and what every value does. */
export interface OptionVariants {
  readonly platform?: {
    readonly default: GvisorPlatform;
    readonly values: Readonly<Record<GvisorPlatform, OptionVariant>>;
  };
  readonly runtime?: {
    readonly default: OciRuntime;
    readonly values: Readonly<Partial<Record<OciRuntime, OptionVariant>>>;
  };
}

interface CommonParams {
  /** Engine options (options.platform, options.runtime) that change this engine's work and costs. */
  readonly variants?: OptionVariants;
  readonly memory: MemoryParams;
  readonly costs: CostParams;
  readonly noise: NoiseParams;
  /** Contention between concurrent starts; engines without it get the storm model's assumed defaults. */
  readonly storm?: StormParams;
  /** A cloud control plane before the guest boots; only cloud-instance engines have one. */
  readonly controlPlane?: ControlPlaneParams;
}

export type BootParamsFor<K extends EngineKind> = ParamsOf<(typeof PARAMETERS.boot)[(typeof BOOT_GROUP_OF_KIND)[K]]>;

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

export function isVmKind(kind: EngineKind): kind is VmKind {
  return BOOT_GROUP_OF_KIND[kind] === 'vm';
}

export function isContainerKind(kind: EngineKind): kind is ContainerKind {
  return BOOT_GROUP_OF_KIND[kind] === 'container';
}

/** The specs of engines of these kinds, whose boot parameters the kinds decide. */
export type ModeledEngineSpecOf<K extends EngineKind> = Extract<ModeledEngineSpec, { readonly kind: K }>;

export function isVmEngine(engine: ModeledEngineSpec): engine is ModeledEngineSpecOf<VmKind> {
  return isVmKind(engine.kind);
}

export function isContainerEngine(engine: ModeledEngineSpec): engine is ModeledEngineSpecOf<ContainerKind> {
  return isContainerKind(engine.kind);
}
