import { ANT2021_KPTI_SYSCALL_NS } from '../../engines/hardware/profiles.js';
import type { App, EngineOptions, HardwareProfile, NetworkMode, StormSettings } from '../../engines/types.js';

/**
 * How each published benchmark is reproduced: which workload runs, how the model's output turns
 * into the figure the benchmark reports, and the experiment's own set-up (the guest, the app,
 * the network path). Set-ups are facts about the experiment, each with its source; none of them
 * is a number chosen to bring the model closer to the data.
 */

/** How a model run becomes the benchmark's figure, in the published row's unit. */
export type Readout =
  /** Work done per second: the workload's units / its seconds in the engine, x factor. */
  | { readonly kind: 'throughput'; readonly factor: number }
  /** Time per unit of work: seconds / units, x factor. */
  | { readonly kind: 'latency'; readonly factor: number }
  /** The sum of these boot phases, ms; all of boot_time when phases is absent. */
  | { readonly kind: 'boot'; readonly phases?: readonly string[] }
  /** Host memory one instance takes, x factor (MiB to the row's unit). */
  | { readonly kind: 'memory-per-instance'; readonly factor: number }
  /**
   * Host memory one VM takes beyond its guest RAM: what its VMM costs, MiB. A row that publishes
   * an upper bound ("at most") is met by any model value up to it.
   */
  | { readonly kind: 'vmm-memory'; readonly upperBound?: boolean }
  /** An image_size metric, x factor. */
  | { readonly kind: 'image'; readonly metric: 'image_size' | 'image_size.compressed'; readonly factor: number }
  /** Instances a host core brings up per second in a boot storm. */
  | { readonly kind: 'creation-rate' }
  /** A per-instance latency percentile of a boot storm, ms. */
  | {
      readonly kind: 'storm';
      readonly metric: 'boot_storm.p50' | 'boot_storm.p99' | 'boot_storm.guest_p50' | 'boot_storm.guest_p99';
    };

export interface Setup {
  readonly app?: Partial<App>;
  readonly options?: Partial<EngineOptions>;
  readonly hardware?: (hardware: HardwareProfile) => HardwareProfile;
  readonly storm?: StormSettings;
  /** Why the experiment looks like this. */
  readonly why?: string;
}

export interface Benchmark {
  /** A built-in workload id (engines/workloads.ts) for the workload-driven readouts. */
  readonly workload?: string;
  readonly readout: Readout;
  /** Readouts by the row's metric, where one benchmark reports several (boot_time_p50, boot_time_p99). */
  readonly readouts?: Readonly<Record<string, Readout>>;
  readonly setup?: Setup;
}

/** MB per MiB: published memory and image sizes are in MB, the model works in MiB. */
const MB_PER_MIB = 1.048576;

/** A published image size, read against the modeled image alone, with no application on top. */
function imageSize(image: string): Benchmark {
  return {
    readout: { kind: 'image', metric: 'image_size', factor: MB_PER_MIB },
    setup: { options: { image }, app: { sizeMiB: 0 } },
  };
}

/** `<runtime> run` of /bin/true: the start of a container that does nothing, on the given network. */
function runTrue(network: NetworkMode, why: string): Benchmark {
  return {
    readout: { kind: 'boot' },
    setup: { options: { network }, app: { name: 'true', startMcycles: 0, sizeMiB: 0 }, why },
  };
}

/**
 * The NSDI'20 boot runs (firecracker-microvm/nsdi2020-data scripts/run-boot-*.sh): each boot is
 * timed by its start script from just before it launches the VMM to just after the VMM exits;
 * the serial runs boot one after another, the parallel ones keep N in flight with `xargs -P N`.
 * The host ran with SMT off (nosmt=force): 48 CPUs of 48 cores.
 */
function nsdiBoots(concurrency: number, instances: number, span: 'boot' | 'guest', network?: NetworkMode): Benchmark {
  const p50: Readout = { kind: 'storm', metric: span === 'boot' ? 'boot_storm.p50' : 'boot_storm.guest_p50' };
  const p99: Readout = { kind: 'storm', metric: span === 'boot' ? 'boot_storm.p99' : 'boot_storm.guest_p99' };
  return {
    readout: p50,
    readouts: { boot_time_p50: p50, boot_time_p99: p99 },
    setup: {
      hardware: (hw) => ({ ...hw, cpu: { ...hw.cpu, threadsPerCore: 1 } }),
      ...(network ? { options: { network } } : {}),
      storm: {
        instances,
        arrivalRate: 0,
        sharedImage: true,
        concurrency,
        launcherMs: NSDI_LAUNCHER_MS,
        handoffs: NSDI_SCRIPT_HANDOFFS,
        harnessCpuMs: NSDI_SCRIPT_CPU_MS,
      },
      why: `${instances} boots with ${concurrency} in flight; SMT off`,
    },
  };
}

/**
 * xargs forks each start script and waits until its exec has succeeded before it forks the next:
 * about 1 ms of one thread for a small process exec'ing bash. assumed.
 */
export const NSDI_LAUNCHER_MS = 1;
/**
 * Thread hand-offs on each boot's timed path outside the VMM: util_start_*.sh runs under
 * `bash -e` with `set -x`, backgrounds the VMM (fork, exec), polls for its socket with `sleep`,
 * runs its configuration client, waits for it and forks date to read the clock; each hand-off is a
 * thread woken that must find a CPU. Fitted with NSDI_SCRIPT_CPU_MS to nsdi20-boot-par50-fc-p50 and
 * nsdi20-boot-par100-fc-p50, which makes those two rows fits; every other parallel row checks it.
 */
export const NSDI_SCRIPT_HANDOFFS = 18;
/**
 * Host CPU each start script spends outside its timed span: bash start-up with tracing, its
 * helpers (rm, util_ipam.sh) and reading the results (grep, expr, appending to the data file),
 * ms of one thread. Fitted with NSDI_SCRIPT_HANDOFFS (see there).
 */
export const NSDI_SCRIPT_CPU_MS = 120;

/**
 * Host CPU a production Firecracker launch spends beside the boot: the jailer, the API client's
 * requests, the tap device and tearing down the microVM each new one replaces, ms of one thread.
 * derived from fc-creation-rate (a fit): with 200 launches kept in flight, this much per launch
 * brings the steady rate to 5 microVMs per physical core per second on fc-m5d-metal.
 */
export const FC_PRODUCTION_LAUNCH_CPU_MS = 228;

/** The Unikraft hello world on one VMM (unikraft/eurosys21-artifacts fig_10): 2 MiB guest, VMM pinned. */
function unikernelBoot(network: NetworkMode): Benchmark {
  return {
    readout: { kind: 'boot' },
    setup: {
      options: { image: 'unikraft-helloworld', memoryMiB: 2, vcpus: 1, network },
      app: { name: 'helloworld', startMcycles: 0, sizeMiB: 0, workingSetMiB: 0.5 },
      why: 'VMM start to main() of the unikernel; one tap NIC in bridge mode',
    },
  };
}

export const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  // felter2015: thewmf/kvm-docker-comparison
  'linpack-n45000': { workload: 'linpack', readout: { kind: 'throughput', factor: 1 } },
  'stream-triad-2socket': { workload: 'stream-triad', readout: { kind: 'throughput', factor: 1 } },
  'stream-copy-2socket': { workload: 'stream-copy', readout: { kind: 'throughput', factor: 1 } },
  'randomaccess-1socket': { workload: 'randomaccess', readout: { kind: 'throughput', factor: 1e-9 } },
  'nuttcp-client-to-server': { workload: 'nuttcp', readout: { kind: 'throughput', factor: 8 / 1000 } },
  'netperf-tcp-rr': { workload: 'netperf-tcp-rr', readout: { kind: 'latency', factor: 1e6 } },
  'netperf-udp-rr': { workload: 'netperf-udp-rr', readout: { kind: 'latency', factor: 1e6 } },
  'fio-seq-read-1m': { workload: 'fio-seq-read-1m', readout: { kind: 'throughput', factor: 1 } },
  'fio-seq-write-1m': { workload: 'fio-seq-write-1m', readout: { kind: 'throughput', factor: 1 } },
  'fio-rand-read-4k-qd128': { workload: 'fio-rand-read-4k', readout: { kind: 'throughput', factor: 1 } },
  'fio-rand-write-4k-qd128': { workload: 'fio-rand-write-4k', readout: { kind: 'throughput', factor: 1 } },
  // The row's name says qd128; fio/mixed.fio runs 8 jobs x iodepth 32, which the workload follows.
  'fio-rand-mixed-4k-qd128': { workload: 'fio-rand-mixed-4k', readout: { kind: 'throughput', factor: 1 } },

  // firecracker: SPECIFICATION.md, docs/design.md, docs/network-performance.md
  'microvm-boot-to-init': {
    // From the InstanceStart call (the VMM is already up) to the guest's /sbin/init.
    readout: { kind: 'boot', phases: ['kernel_load', 'kernel_init'] },
    setup: { app: { startMcycles: 0 }, why: 'SPECIFICATION.md: 1 vCPU, 128 MiB, minimal kernel and root file system' },
  },
  'vmm-start': { readout: { kind: 'boot', phases: ['vmm_start'] } },
  'vmm-memory-overhead': { readout: { kind: 'vmm-memory' } },
  'microvm-creation-rate': {
    readout: { kind: 'creation-rate' },
    setup: {
      app: { startMcycles: 0 },
      // A steady rate: the launcher keeps starting microVMs as others come up (200 in flight, assumed).
      storm: {
        instances: 2000,
        arrivalRate: 0,
        sharedImage: true,
        concurrency: 200,
        harnessCpuMs: FC_PRODUCTION_LAUNCH_CPU_MS,
      },
      why: 'docs/design.md: a steady creation rate of minimal 1 vCPU / 128 MiB microVMs from one image, per physical core',
    },
  },
  'tcp-throughput-1460b': {
    workload: 'iperf',
    readout: { kind: 'throughput', factor: 8 / 1000 },
    setup: {
      // iperf3 ran between the host and its own guest over the tap device, so no NIC is on the
      // path: the bytes move through host memory, each copied once (read and write).
      hardware: (hw) => ({ ...hw, network: { ...hw.network, gbits: (hw.memory.bandwidthGBs * 8) / 2 } }),
      why: 'docs/network-performance.md: host to guest, emulation thread at 100%',
    },
  },
  'ping-rtt': { workload: 'ping', readout: { kind: 'latency', factor: 1e3 } },

  // fc-nsdi2020: firecracker-microvm/nsdi2020-data
  'vm-boot-serial': nsdiBoots(1, 500, 'boot'),
  'vm-boot-serial-instancestart': nsdiBoots(1, 500, 'guest'),
  'vm-boot-serial-net': nsdiBoots(1, 200, 'boot', 'bridge'),
  'vm-boot-parallel-10': nsdiBoots(10, 1000, 'boot'),
  'vm-boot-parallel-10-instancestart': nsdiBoots(10, 1000, 'guest'),
  'vm-boot-parallel-50': nsdiBoots(50, 1000, 'boot'),
  'vm-boot-parallel-50-instancestart': nsdiBoots(50, 1000, 'guest'),
  'vm-boot-parallel-100': nsdiBoots(100, 1000, 'boot'),
  'vm-boot-parallel-100-instancestart': nsdiBoots(100, 1000, 'guest'),

  // unikraft-eurosys21: unikraft/eurosys21-artifacts experiments/fig_10_unikraft-boot
  'unikraft-helloworld-boot': unikernelBoot('host'),
  'unikraft-helloworld-boot-1nic': unikernelBoot('bridge'),

  // gvisor: google/gvisor website/performance/*.csv
  'raw-syscall': { workload: 'syscall-bound', readout: { kind: 'latency', factor: 1e9 } },
  // gvisor-ant2021: gVisor test/perf/linux/getpid_benchmark.cc, a loop of getpid calls.
  'getpid-loop': { workload: 'syscall-bound', readout: { kind: 'latency', factor: 1e9 } },
  'memory-per-container-sleep': {
    readout: { kind: 'memory-per-instance', factor: MB_PER_MIB },
    // The sleeping process's few hundred KiB are inside gvisor-mem-sleep-runc, which sets runc's own overhead.
    setup: { app: { name: 'sleep', workingSetMiB: 0, sizeMiB: 0 }, why: 'density.csv: a container running sleep' },
  },
  'memory-per-container-node': {
    readout: { kind: 'memory-per-instance', factor: MB_PER_MIB },
    setup: {
      // derived: gvisor-mem-node-runc 76.7 MB - gvisor-mem-sleep-runc 4.1 MB is what the node app itself holds.
      app: { name: 'node', workingSetMiB: (76.7 - 4.1) / MB_PER_MIB },
      why: 'density.csv: a synthetic node application that imports modules and listens',
    },
  },
  'sysbench-cpu': { workload: 'sysbench-cpu', readout: { kind: 'throughput', factor: 1 } },
  'iperf-download': { workload: 'iperf', readout: { kind: 'throughput', factor: 8 } },

  // images: docker-library/repo-info; the rows' ids say compressed or on disk
  'alpine-3.22-amd64': imageSize('alpine-3.22'),
  'ubuntu-24.04-amd64': imageSize('ubuntu-24.04'),
  'debian-13-amd64': imageSize('debian-13'),
  'ubuntu-24.04-cloudimg-amd64': imageSize('ubuntu-24.04'),

  // scrivano2017: 100 sequential `<runtime> run` of /bin/true
  'oci-run-true': runTrue('host', 'no new network namespace'),
  'oci-run-true-netns': runTrue('bridge', 'a new network namespace'),
};

/** Set-up that differs between rows of one benchmark. */
export const ROW_SETUPS: Readonly<Record<string, Setup>> = {
  'felter-linpack-kvm-untuned': { options: { pinning: false }, why: 'default guest: floating vCPUs, no topology' },
  'felter-linpack-kvm-tuned': { options: { pinning: true }, why: 'vCPUs pinned, host topology exposed' },
  'gvisor-syscall-runsc-kvm': { options: { platform: 'kvm' }, why: 'syscall.csv row runsc-kvm: the KVM platform' },
  'ant2021-getpid-runsc-kvm': { options: { platform: 'kvm' }, why: 'the table names its platform: runsc-KVM' },
  'ant2021-getpid-runsc-ptrace': { options: { platform: 'ptrace' }, why: 'the table names its platform: runsc-ptrace' },
  'ant2021-getpid-native-kpti': {
    hardware: (hw) => ({ ...hw, cpu: { ...hw.cpu, syscallNs: ANT2021_KPTI_SYSCALL_NS } }),
    why: 'the same host with kernel page-table isolation on: every system call switches page tables twice',
  },
};

/** Readouts that differ between rows of one benchmark. */
export const ROW_READOUTS: Readonly<Record<string, Readout>> = {
  'img-alpine-compressed': { kind: 'image', metric: 'image_size.compressed', factor: MB_PER_MIB },
  'img-ubuntu-compressed': { kind: 'image', metric: 'image_size.compressed', factor: MB_PER_MIB },
  // SPECIFICATION.md gives at most 5 MiB; nsdi20-mem-overhead-fc measures the same VMM.
  'fc-mem-overhead': { kind: 'vmm-memory', upperBound: true },
  // Firecracker times its own part (its FC-boot-time log) from applying its configuration, after its process is up.
  'uk-eurosys21-boot-firecracker': { kind: 'boot', phases: ['control_path', 'kernel_load', 'kernel_init'] },
};

/** Engines a study names differently from virtbench, by study. */
export const ENGINE_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // gVisor's perf.py starts its runc containers through Docker.
  gvisor: { runc: 'docker', 'gvisor-kvm': 'gvisor' },
  'gvisor-ant2021': { 'gvisor-kvm': 'gvisor', 'gvisor-ptrace': 'gvisor', 'native-kpti': 'native' },
  // Both studies ran QEMU's pc machine with its default firmware, SeaBIOS.
  'fc-nsdi2020': { qemu: 'qemu-seabios' },
  'unikraft-eurosys21': { qemu: 'qemu-seabios' },
};
