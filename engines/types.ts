/**
 * The vocabulary every engine speaks: the modeled machine, what runs on it, and what comes back.
 * The scenario loader produces these shapes and engines consume them; nothing here knows about
 * files, the CLI or reports.
 */

/**
 * How a published figure was obtained (engines/data/README.md): read in its source as given,
 * derived from figures there, or not read in a source at all (recalled, partly recalled,
 * unverified), which makes it a rough guide only.
 */
export const PUBLISHED_VERIFICATIONS = ['read', 'derived', 'recalled', 'partly recalled', 'unverified'] as const;
export type PublishedVerification = (typeof PUBLISHED_VERIFICATIONS)[number];

/**
 * How trustworthy a parameter's value is: the words of published.csv, plus measured on a host
 * and assumed for a value nobody has measured.
 */
export const VERIFICATIONS = [...PUBLISHED_VERIFICATIONS, 'measured', 'assumed'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

/** A model parameter and the place its value comes from. */
export interface Param {
  readonly value: number;
  /** A published-row id (engines/data/published.csv), a document, or the reasoning behind an assumption. */
  readonly source: string;
  readonly verified: Verification;
}

/**
 * The mechanism family. It decides which boot phases exist, whether a guest kernel boots and
 * whether the host kernel is shared; the engine's parameters set the costs.
 */
export const ENGINE_KINDS = ['native', 'container', 'sandbox', 'microvm', 'type1', 'type2'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** Where an engine's figures come from: the calibrated model, or measurement on this host. */
export const DRIVERS = ['model', 'real'] as const;
export type Driver = (typeof DRIVERS)[number];

/** A modeled machine. All engines in one run share one of these. */
export interface HardwareProfile {
  readonly id: string;
  readonly description: string;
  readonly source: string;
  readonly cpu: {
    readonly sockets: number;
    readonly coresPerSocket: number;
    readonly threadsPerCore: number;
    readonly ghz: number;
    /** Hardware virtualization extensions (VT-x/AMD-V). Without them a hypervisor must emulate or binary-translate. */
    readonly virtualization: boolean;
    /** Second-level address translation (EPT/NPT). */
    readonly nestedPaging: boolean;
    /** Cost of a null system call on this CPU, in ns. */
    readonly syscallNs: number;
    /**
     * Exit latency of the deepest idle state an idle core sleeps in, µs: what a thread woken on an
     * idle host waits before it runs. Default in engines/model/boot.ts (IDLE_EXIT_US).
     */
    readonly idleExitUs?: number;
  };
  /**
   * What the host kernel's start-up operations cost here, each once: the units every container,
   * sandbox and process start is counted in (engines/hardware/kernel-costs.ts). Each one left out
   * follows from the CPU's clock and system-call cost.
   */
  readonly kernel?: Partial<KernelCosts>;
  readonly memory: {
    readonly gib: number;
    /**
     * Sustained DRAM traffic for the whole host, GB/s, counting the cache-line reads that writes
     * allocate (so STREAM triad reports 3/4 of it and copy 2/3).
     */
    readonly bandwidthGBs: number;
    /** Effective time per dependent random access that misses the caches and TLB, in ns. */
    readonly randomAccessNs: number;
  };
  readonly storage: {
    readonly capacityGiB: number;
    readonly seqReadMBs: number;
    readonly seqWriteMBs: number;
    readonly randReadIops: number;
    readonly randWriteIops: number;
    /** Device latency for one 4 KiB access, in µs. */
    readonly latencyUs: number;
    /**
     * How far random reads and writes overlap when mixed: 0 when they queue for one shared path,
     * so a mix costs the sum of its parts (the default); 1 when they run in separate pipelines.
     * Between, that share of the cheaper direction's per-I/O cost runs beside the other direction.
     */
    readonly readWriteOverlap?: number;
  };
  readonly network: {
    readonly gbits: number;
    /** Round-trip time of a small request/response between two hosts on this network, in µs. */
    readonly rttUs: number;
  };
}

/** Costs of the host kernel's start-up operations, µs each. */
export interface KernelCosts {
  /** fork + exec of a small binary, to its exit and reaping. */
  readonly forkExecUs: number;
  /** Creating one namespace (pid, mount, uts, ipc, user, cgroup) with clone or unshare. */
  readonly namespaceUs: number;
  /** Creating one network namespace with its loopback device. */
  readonly netnsUs: number;
  /** One mount(2): a bind, an overlay, a proc or tmpfs mount, a remount or pivot_root. */
  readonly mountUs: number;
  /** One cgroup file-system operation: a mkdir, a limit written, a process attached. */
  readonly cgroupWriteUs: number;
  /** One request and reply between two processes over a Unix socket (a daemon API or gRPC call). */
  readonly ipcRoundTripUs: number;
}

/** The OCI runtime an engine that can use several starts its containers with. */
export const OCI_RUNTIMES = ['runc', 'crun', 'runsc'] as const;
export type OciRuntime = (typeof OCI_RUNTIMES)[number];

/** How gVisor intercepts the system calls of the application it runs. */
export const GVISOR_PLATFORMS = ['ptrace', 'systrap', 'kvm'] as const;
export type GvisorPlatform = (typeof GVISOR_PLATFORMS)[number];

/** The operating system an instance runs: a container base image or a VM's installed distribution. */
export interface OsImage {
  readonly id: string;
  readonly description: string;
  /** Container base image: compressed (registry) size and unpacked size, MiB. */
  readonly containerCompressedMiB: Param;
  readonly containerUnpackedMiB: Param;
  readonly containerLayers: Param;
  /** VM disk: the installed distribution with kernel, modules and init system, MiB. */
  readonly vmInstalledMiB: Param;
  /** Compressed kernel image (bzImage) plus initramfs that a bootloader reads, MiB. */
  readonly kernelCompressedMiB: Param;
  /** Uncompressed kernel (vmlinux) that a microVM loads directly, MiB. */
  readonly kernelUncompressedMiB: Param;
  /** Guest-kernel init work apart from device probing (memory setup, initcalls, unpacking the initramfs), Mcycles. */
  readonly kernelInitMcycles: Param;
  /** Services the init system starts before the application can run. */
  readonly bootServices: Param;
  /** CPU work to start one of those services, Mcycles. */
  readonly serviceMcycles: Param;
  /** Resident memory of the guest OS itself (kernel, init, daemons) inside a VM, MiB. */
  readonly guestOsMemoryMiB: Param;
  /** Block requests the guest makes while it boots to its workload; none when absent. */
  readonly bootIoRequests?: Param;
  /**
   * 0 when the guest has no general-purpose drivers and probes none of the VMM's devices (a
   * unikernel); 1, the default, when its kernel probes each one.
   */
  readonly probesDevices?: Param;
}

/** The application under test, the same for every engine in a run. */
export interface App {
  readonly name: string;
  /** Size the application adds to an image, MiB. */
  readonly sizeMiB: number;
  /** CPU work to start the application up to readiness, in millions of cycles. */
  readonly startMcycles: number;
  /** Resident working set of one running instance, MiB. */
  readonly workingSetMiB: number;
  /** Average CPU cores one running instance keeps busy. */
  readonly demandCores: number;
  /** Data each instance writes to its own disk or writable layer, MiB. */
  readonly writtenMiB: number;
}

/**
 * One unit of the application's work in the model's terms. Each term has a native cost on the
 * modeled hardware and a per-operation extra cost on each engine; overhead is the ratio.
 */
export interface Workload {
  readonly name: string;
  /** Pure user-mode compute, in billions of cycles. */
  readonly computeGcycles: number;
  /** Threads the compute is spread over (capped by the instance's vCPUs). */
  readonly threads: number;
  /** Bytes streamed through memory, GB. */
  readonly memoryGB: number;
  /** Cache- and TLB-missing random memory accesses, millions. */
  readonly randomAccessesM: number;
  /** System calls, millions. */
  readonly syscallsM: number;
  /** Sequential disk reads and writes, MB. */
  readonly diskSeqReadMB: number;
  readonly diskSeqWriteMB: number;
  /** Random 4 KiB disk reads and writes, thousands of operations, at this queue depth. */
  readonly diskRandReadK: number;
  readonly diskRandWriteK: number;
  readonly diskQueueDepth: number;
  /** Bulk network transfer, MB. */
  readonly networkMB: number;
  /** Small request/response exchanges over the network, thousands. */
  readonly roundTripsK: number;
  /**
   * What one operation of the workload is ("GET requests", "events") and how many one run of the
   * terms above holds. With them an engine reports throughput and latency beside its overhead.
   */
  readonly operation?: string;
  readonly operations?: number;
  /**
   * A request/response service (engines/model/capacity.ts): closed-loop clients in flight, each
   * sending its next request when the reply arrives. With it, throughput is the least of the
   * latency, server CPU and link bounds, and the terms above count `operations` requests.
   */
  readonly clients?: number;
  /** Threads serving requests at once (default 1). */
  readonly serverThreads?: number;
  /** The application's own CPU per request, µs of one core on the modeled CPU, with its native system calls and TCP work. */
  readonly serverCpuUs?: number;
  /** Bytes of one request and of its response, carried in segments of at most the TCP MSS. */
  readonly requestBytes?: number;
  readonly responseBytes?: number;
}

/** Container networking: the host's network namespace, or a bridge with NAT. */
export const NETWORK_MODES = ['host', 'bridge'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** How qemu runs a guest: KVM when a probe succeeds (auto), or one accelerator forced. */
export const ACCELERATOR_CHOICES = ['auto', 'kvm', 'tcg'] as const;
export type AcceleratorChoice = (typeof ACCELERATOR_CHOICES)[number];

/** The QEMU machine type a real qemu driver boots. */
export const QEMU_MACHINES = ['pc', 'q35', 'microvm'] as const;
export type QemuMachine = (typeof QEMU_MACHINES)[number];

/** The firmware QEMU runs before the kernel; none asks for direct kernel boot without firmware. */
export const QEMU_FIRMWARES = ['seabios', 'qboot', 'none'] as const;
export type QemuFirmware = (typeof QEMU_FIRMWARES)[number];

/**
 * What a real boot_time sample includes: warm (image and binaries in the page cache), cold
 * (caches dropped before each sample), image-inclusive (making the image usable is part of the
 * start) or restore (resuming a saved instance).
 */
export const START_MODES = ['warm', 'cold', 'image-inclusive', 'restore'] as const;
export type StartMode = (typeof START_MODES)[number];

/** Who runs an unprivileged-capable sandbox (bwrap): root, or an unprivileged user through a user namespace. */
export const SANDBOX_USERS = ['root', 'unprivileged'] as const;
export type SandboxUser = (typeof SANDBOX_USERS)[number];

/** How a VM reaches its kernel: through firmware and a boot loader, or entered directly by the VMM. */
export const VM_BOOT_MODES = ['firmware', 'direct'] as const;
export type VmBootMode = (typeof VM_BOOT_MODES)[number];

/** Per-engine options a scenario may set. Engines ignore what does not apply to their kind. */
export interface EngineOptions {
  /** Guest RAM for VMs, MiB. */
  readonly memoryMiB: number;
  /** Containers, sandboxes and processes: the cgroup memory limit, MiB; none when absent. */
  readonly memoryLimitMiB?: number;
  readonly vcpus: number;
  /** OS image id (see engines/images.ts). */
  readonly image: string;
  /** Whether the container image is already in the local store, so no pull is needed. */
  readonly imageCached: boolean;
  readonly network: NetworkMode;
  /** VMs: vCPUs pinned to host cores with the host topology exposed to the guest. */
  readonly pinning: boolean;
  /** VMs: instance disks as linked clones of one base image rather than full copies. */
  readonly linkedClones: boolean;
  /** VMs with firmware: `direct` skips firmware and boot loader, the VMM entering the kernel itself. Default `firmware`. */
  readonly boot?: VmBootMode;
  /** Settings only real drivers read (iterations, timeouts, kernel path, density budget). */
  readonly real?: RealDriverOptions;
  /** gVisor: how system calls are intercepted; the engine's default when absent. */
  readonly platform?: GvisorPlatform;
  /** Engines that drive an OCI runtime (podman): which one; the engine's default when absent. */
  readonly runtime?: OciRuntime;
}

/** How a real driver measures on this host; every field has a default (see engines/real/options.ts). */
export interface RealDriverOptions {
  /** Boot iterations run and discarded before sampling. */
  readonly bootWarmup?: number;
  /** Boot samples kept; defaults to the scenario's repetitions. */
  readonly bootIterations?: number;
  /** Times each in-instance workload runs, natively and in the instance. */
  readonly workloadRepetitions?: number;
  /** Idle instances started together for density, before the memory budget caps them. */
  readonly densityInstances?: number;
  /** Memory the density instances may take together, MiB; default min(25% of MemAvailable, 4 GiB). */
  readonly densityMemoryBudgetMiB?: number;
  /** Density to failure: the most instances it starts (default 200). */
  readonly densityLimit?: number;
  /** Density to failure: instances started per batch (default 4). */
  readonly densityBatch?: number;
  /** Density to failure: stop when MemAvailable falls below this, MiB (default max(1 GiB, 10% of MemTotal)). */
  readonly densityMemoryFloorMiB?: number;
  /** Density to failure: stop when a batch's median start exceeds this, ms (default 10x the first batch's, at least 1 s). */
  readonly densityStartCeilingMs?: number;
  /** Longest any single step (one boot, one workload run) may take, ms. */
  readonly timeoutMs?: number;
  /** qemu: the guest kernel (bzImage); default /boot/vmlinuz-*, then the distribution's cloud kernel. */
  readonly kernel?: string;
  /** qemu only. */
  readonly accelerator?: AcceleratorChoice;
  /** qemu: the machine type (default pc; qemu-microvm is always microvm). */
  readonly machine?: QemuMachine;
  /** qemu: the firmware (default seabios for pc and q35, qboot for microvm). */
  readonly firmware?: QemuFirmware;
  /** What each boot_time sample includes (default warm). */
  readonly startMode?: StartMode;
  /** podman, docker: the OCI runtime the engine hands its containers to (default runc). */
  readonly runtime?: OciRuntime;
  /** runsc: gVisor's platform; default the best this host can run (systrap, kvm, then ptrace). */
  readonly platform?: GvisorPlatform;
  /** bwrap: who runs the sandbox; default root when virtbench runs as root. */
  readonly user?: SandboxUser;
}

/**
 * How host memory is charged to an instance when packing the host: by the pages it touches, with
 * claims admitted up to `memoryOvercommit` x host memory (resident), or by everything its
 * configuration claims (reserved).
 */
export const MEMORY_POLICIES = ['resident', 'reserved'] as const;
export type MemoryPolicy = (typeof MEMORY_POLICIES)[number];

/** How densely instances are packed on the host. */
export interface DensityPolicy {
  /** Share of host CPU that instances may use. */
  readonly targetCpuUtilization: number;
  /** vCPUs per host thread that a hypervisor may hand out. */
  readonly vcpuOvercommit: number;
  /** Guest memory (or container memory limits) per host memory that the host may promise. */
  readonly memoryOvercommit: number;
  /** How instance memory is charged (MEMORY_POLICIES); resident when absent. */
  readonly memoryPolicy?: MemoryPolicy;
  /** Same-page merging between guests (KSM / transparent page sharing). */
  readonly pageSharing: boolean;
  /** Instance count used for the fleet storage figure. */
  readonly fleetSize: number;
}

/** A boot storm: many instances of one engine started together on the host, contending for it. */
export interface StormSettings {
  /** Instances started. */
  readonly instances: number;
  /** Instances started per second, evenly spaced; 0 starts them all at once. */
  readonly arrivalRate: number;
  /** Every instance starts from the same image, so it is fetched and read once and then served from the page cache. */
  readonly sharedImage: boolean;
  /**
   * Closed loop: at most this many starts in flight, and each one that finishes lets the launcher
   * begin the next (`xargs -P N`), until `instances` have started. Absent: the open loop of arrivalRate.
   */
  readonly concurrency?: number;
  /**
   * Host CPU a single-threaded launcher spends on each start before the start's own clock runs
   * (xargs forking and exec'ing the start script), ms of one thread; starts wait for it one at a time.
   */
  readonly launcherMs?: number;
  /**
   * Thread hand-offs on each start's timed path around the engine (the start script forking and
   * waiting for its helpers); each one waits for a CPU when every CPU is busy.
   */
  readonly handoffs?: number;
  /**
   * Host CPU each start's own script spends outside its timed span (shell start-up, helpers,
   * reading the results), ms of one thread: it competes for the CPU beside the boots.
   */
  readonly harnessCpuMs?: number;
  /** Instances of the same engine already running, idle, when the storm starts; 0 when absent. */
  readonly running?: number;
}

/** Everything one engine needs to produce its metrics for one point of a scenario. */
export interface Cell {
  readonly scenario: string;
  readonly hardware: HardwareProfile;
  readonly os: OsImage;
  readonly app: App;
  readonly workload: Workload;
  readonly density: DensityPolicy;
  readonly options: EngineOptions;
  readonly repetitions: number;
  /** Seed for this cell alone, derived from the scenario seed and the cell's coordinates. */
  readonly seed: number;
  /** Set when the scenario asks for a boot storm; engines that cannot simulate one ignore it. */
  readonly storm?: StormSettings;
  /** Metric families the scenario asks for; real drivers skip measuring the others. All when absent. */
  readonly metrics?: readonly string[];
}

/** Which host resource limits how many instances fit. */
export type DensityResource = 'memory' | 'cpu' | 'storage';

/**
 * What an engine returns for a cell: raw samples per metric id (one per repetition for noisy
 * metrics, one for deterministic ones) and facts that are not numbers.
 */
/** What an engine reports for one cell: samples, or why it cannot run the cell at all. */
export type Measurement = Measured | Unsuitable;

export interface Measured {
  readonly state: 'measured';
  readonly samples: Readonly<Record<string, readonly number[]>>;
  readonly densityBinding?: DensityResource;
  /** A non-numeric fact about one metric, by metric id, such as which resource a boot storm saturates. */
  readonly details?: Readonly<Record<string, string>>;
  /** Free-form facts worth reporting, for example which accelerator a real VM used. */
  readonly notes?: readonly string[];
}

/** The engine cannot run this cell (a VM on a host without virtualization, a driver not installed). */
export interface Unsuitable {
  readonly state: 'unsuitable';
  readonly reasons: readonly string[];
}

/** The one interface that modeled engines and real drivers both implement. */
export interface Engine {
  readonly id: string;
  readonly title: string;
  readonly kind: EngineKind;
  readonly driver: Driver;
  /** For real drivers: the modeled engine whose prediction is shown beside the measurement. */
  readonly modeledCounterpart?: string;
  measure(cell: Cell): Promise<Measurement>;
}
