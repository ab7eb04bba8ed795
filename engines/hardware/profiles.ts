import type { HardwareProfile } from '../types.js';

/**
 * Built-in modeled machines: one per host in engines/data/hosts.csv, plus a developer laptop and
 * a small cloud VM. Row ids in comments and sources refer to engines/data/published.csv (the
 * measurements taken on that host) and engines/data/hosts.csv (the host itself); figures without
 * a row id say where they come from. `virtbench calibrate` lists which rows set which figure.
 */

/** The two-socket server of the Docker-vs-KVM study (Felter et al. 2015). */
export const felter2015: HardwareProfile = {
  id: 'felter2015-x3650m4',
  description: 'IBM System x3650 M4, 2x Xeon E5-2665 (Sandy Bridge-EP), 256 GiB, flash array over FC, 10 GbE',
  source:
    'hosts.csv felter2015-x3650m4 (partly recalled); rates from felter-stream-triad-native, felter-gups-1s-native, ' +
    'felter-fio-seqread-native, felter-fio-seqwrite-native, felter-fio-randread-native, felter-fio-randwrite-native, ' +
    'felter-fio-randmixed-native, felter-tcprr-native and felter-udprr-native',
  cpu: {
    sockets: 2, // hosts.csv felter2015-x3650m4
    coresPerSocket: 8, // hosts.csv felter2015-x3650m4
    threadsPerCore: 2, // hosts.csv felter2015-x3650m4
    ghz: 2.4, // hosts.csv felter2015-x3650m4 base clock
    virtualization: true, // VT-x is present on every Xeon E5
    nestedPaging: true, // EPT is present on every Xeon E5
    syscallNs: 70, // assumed: a getppid round trip on a 2.4 GHz Sandy Bridge without speculative-execution mitigations
  },
  memory: {
    gib: 256, // hosts.csv felter2015-x3650m4 (recalled)
    // derived from felter-stream-triad-native 45.60 GB/s: triad counts 24 bytes per element but moves 32,
    // because each store first reads its cache line (write-allocate): 45.60 x 4/3.
    bandwidthGBs: 60.8,
    randomAccessNs: 21.834, // derived from felter-gups-1s-native: 1 / 0.0458 GUPS
  },
  storage: {
    capacityGiB: 4096, // assumed: the FlashSystem 840 LUN size is not published with the study
    seqReadMBs: 806.9, // felter-fio-seqread-native
    seqWriteMBs: 751.0, // felter-fio-seqwrite-native
    randReadIops: 84044, // felter-fio-randread-native
    randWriteIops: 112034, // felter-fio-randwrite-native
    latencyUs: 100, // assumed: FlashSystem 840 over Fibre Channel, about 100 µs per 4 KiB read
    // derived from felter-fio-randmixed-native: 104553 IOPS at 70% reads (fio/mixed.fio) is more than the
    // 90766 the pure read and write rates give when a mix costs the sum of its parts. Solving
    // 1/104553 s = shared + 0.7 x (1/84044 s - shared) gives shared = 4.119 µs of the 8.926 µs a write costs:
    // 1 - 4.119 / 8.926 of it overlaps.
    readWriteOverlap: 0.5386,
  },
  network: {
    gbits: 10, // hosts.csv felter2015-x3650m4: 10 GbE
    // derived: the mean of felter-tcprr-native 37.58 µs and felter-udprr-native 36.02 µs, less the two
    // 70 ns system calls (send, receive) the request/response workload counts on its own.
    rttUs: 36.66,
  },
};

/** The host of the Firecracker specification and network figures. */
export const firecrackerHost: HardwareProfile = {
  id: 'fc-m5d-metal',
  description: 'AWS m5d.metal: 2x Xeon Platinum 8175M (Skylake-SP), 384 GiB, local NVMe SSDs, 25 Gbit/s',
  source:
    "hosts.csv fc-m5d-metal (read: the NSDI'20 data's sys/ listings); network round trip from fc-ping-native; " +
    'memory and storage rates assumed from the part and drive class',
  cpu: {
    sockets: 2, // hosts.csv fc-m5d-metal
    coresPerSocket: 24, // hosts.csv fc-m5d-metal
    threadsPerCore: 2, // hosts.csv fc-m5d-metal
    ghz: 2.5, // hosts.csv fc-m5d-metal base clock
    virtualization: true, // bare metal: VT-x exposed
    nestedPaging: true,
    syscallNs: 100, // assumed: Skylake-SP with page-table isolation and retpolines on
    idleExitUs: 133, // assumed: Linux intel_idle's exit latency of C6 on Skylake-SP
  },
  memory: {
    gib: 377.6, // hosts.csv fc-m5d-metal
    bandwidthGBs: 190, // assumed: 2 sockets x 6 channels of DDR4-2666 (256 GB/s peak), about 75% sustained
    randomAccessNs: 20, // assumed: as felter2015's 21.8 ns on a newer, faster memory system
  },
  storage: {
    capacityGiB: 3353, // recalled: 4 x 900 GB NVMe instance-store drives
    seqReadMBs: 2000, // assumed: one instance-store NVMe drive
    seqWriteMBs: 1000, // assumed
    randReadIops: 200000, // assumed
    randWriteIops: 100000, // assumed
    latencyUs: 90, // assumed: NVMe flash read latency
  },
  network: {
    gbits: 25, // hosts.csv fc-m5d-metal
    // derived: fc-ping-native 0.198 ms between two instances in one VPC, less the two 100 ns system calls
    // (send, receive) the ping workload counts on its own.
    rttUs: 197.8,
  },
};

/** The desktop of the Unikraft boot-time figure (EuroSys 2021 artifacts). */
export const unikraftHost: HardwareProfile = {
  id: 'unikraft-eurosys21-sh370r6',
  description: 'Shuttle SH370R6: Intel Core i7-9700K (Coffee Lake, 8 cores, no SMT) at 3.6 GHz, 32 GiB',
  source:
    'hosts.csv unikraft-eurosys21-sh370r6 (read: the artifacts README); memory, storage and network rates assumed from the part and a desktop NVMe drive',
  cpu: {
    sockets: 1, // hosts.csv unikraft-eurosys21-sh370r6
    coresPerSocket: 8, // hosts.csv unikraft-eurosys21-sh370r6
    threadsPerCore: 1, // hosts.csv unikraft-eurosys21-sh370r6: the i7-9700K has no SMT and the host booted noht
    ghz: 3.6, // hosts.csv unikraft-eurosys21-sh370r6 base clock
    virtualization: true,
    nestedPaging: true,
    syscallNs: 70, // assumed: a 2018 desktop core with the kernel's default mitigations
    idleExitUs: 100, // assumed: Linux intel_idle lists about 100 µs for the deepest core states of desktop Skylake-derived parts
  },
  memory: { gib: 32, bandwidthGBs: 35, randomAccessNs: 15 }, // assumed: dual-channel DDR4-2666
  storage: {
    capacityGiB: 512,
    seqReadMBs: 3000,
    seqWriteMBs: 2000,
    randReadIops: 400000,
    randWriteIops: 350000,
    latencyUs: 80,
  }, // assumed: a desktop NVMe drive; hosts.csv gives the storage as unknown
  network: { gbits: 10, rttUs: 50 }, // hosts.csv: Intel X520-T2 10 GbE; round trip assumed
};

/** The cloud VM the gVisor performance guide measured on. */
export const gvisorHost: HardwareProfile = {
  id: 'gvisor-n1-standard-4',
  description:
    'GCE n1-standard-4 (Broadwell): 4 vCPUs (2 cores x 2 threads) at 2.2 GHz, 15 GiB, 2 TB SSD persistent disk',
  source:
    "hosts.csv gvisor-n1-standard-4 (recalled: GCE's published machine type); system calls from gvisor-syscall-runc; " +
    'network path from gvisor-iperf-down-runc; disk as google/gvisor g3doc/architecture_guide/performance.md describes it',
  cpu: {
    sockets: 1, // hosts.csv gvisor-n1-standard-4
    coresPerSocket: 2, // hosts.csv gvisor-n1-standard-4
    threadsPerCore: 2, // hosts.csv gvisor-n1-standard-4
    ghz: 2.2, // hosts.csv gvisor-n1-standard-4
    // Nested virtualization is off by default on GCE, so hypervisors inside fall back to emulation;
    // gVisor's ptrace platform needs neither.
    virtualization: false,
    nestedPaging: false,
    // derived from gvisor-syscall-runc 1939 ns: a runc container's system calls go straight to the kernel,
    // so its raw system call is the host's (a guest kernel with mitigations, under a hypervisor).
    syscallNs: 1939,
  },
  memory: {
    gib: 15, // hosts.csv gvisor-n1-standard-4
    bandwidthGBs: 12, // assumed: the share of a Broadwell socket's bandwidth a 4-vCPU slice gets
    randomAccessNs: 30, // assumed: Broadwell-EP DRAM latency seen through the cloud hypervisor's nested paging
  },
  storage: {
    capacityGiB: 1907, // google/gvisor performance guide: 2048 GB SSD persistent disk
    seqReadMBs: 240, // recalled: GCE per-instance SSD persistent-disk throughput limit for 4 vCPUs
    seqWriteMBs: 240, // recalled: as reads
    randReadIops: 15000, // recalled: GCE per-instance SSD persistent-disk IOPS limit for 4 vCPUs
    randWriteIops: 15000, // recalled: as reads
    latencyUs: 1000, // assumed: network-attached SSD, about 1 ms per 4 KiB access
  },
  network: {
    // derived from gvisor-iperf-down-runc: one iperf flow between two such instances carried 746 Mbit/s of
    // TCP payload under runc, whose path is far faster; the machine type's 10 Gbit/s (hosts.csv) is an
    // aggregate cap, not what one flow gets. 746.4 / (1448/1538) = 0.7928 Gbit/s of link.
    gbits: 0.7928,
    rttUs: 200, // assumed: a round trip between two instances in one zone
  },
};

/**
 * A getpid round trip on ant2021-xeon-e5-2650v2 with kernel page-table isolation on: the two
 * page-table switches of every kernel entry. read: ant2021-getpid-native-kpti.
 */
export const ANT2021_KPTI_SYSCALL_NS = 236;

/** The host of Ant Group's gVisor getpid table (gvisor.dev blog, 2021-12-02). */
export const ant2021Host: HardwareProfile = {
  id: 'ant2021-xeon-e5-2650v2',
  description:
    'Ant Group host with an Intel Xeon E5-2650 v2 (Ivy Bridge-EP, 8 cores / 16 threads at 2.6 GHz); the rest is not published',
  source:
    "hosts.csv ant2021-xeon-e5-2650v2 (only the CPU model is stated); system calls from ant2021-getpid-native (and with page-table isolation from ant2021-getpid-native-kpti); the clock and topology are the part's datasheet; memory, storage and network are assumed (no row uses them)",
  cpu: {
    sockets: 1, // assumed: the post names the CPU model only
    coresPerSocket: 8, // Intel datasheet of the E5-2650 v2
    threadsPerCore: 2, // Intel datasheet of the E5-2650 v2
    ghz: 2.6, // Intel datasheet of the E5-2650 v2: base clock
    virtualization: true, // VT-x is present on every Xeon E5 v2
    nestedPaging: true, // EPT is present on every Xeon E5 v2
    syscallNs: 62, // read: ant2021-getpid-native, a getpid round trip without page-table isolation
  },
  memory: { gib: 128, bandwidthGBs: 40, randomAccessNs: 25 }, // assumed: unused by its rows
  storage: {
    capacityGiB: 1024,
    seqReadMBs: 500,
    seqWriteMBs: 450,
    randReadIops: 90000,
    randWriteIops: 80000,
    latencyUs: 100,
  }, // assumed: unused by its rows
  network: { gbits: 10, rttUs: 50 }, // assumed: unused by its rows
};

/** The workstation of the crun-vs-runc start-time post (Scrivano 2017). */
export const scrivanoLaptop: HardwareProfile = {
  id: 'scrivano2017-laptop',
  description: 'Fedora workstation of the 2017 crun-vs-runc post: 4 cores / 8 threads, SSD',
  source:
    'hosts.csv scrivano2017-laptop (unverified); clock, memory and storage are not published and are assumed; kernel costs from crun-true-nonetns, runc-true-netns and runc-true-nonetns',
  cpu: {
    sockets: 1, // hosts.csv scrivano2017-laptop
    coresPerSocket: 4, // hosts.csv scrivano2017-laptop
    threadsPerCore: 2, // hosts.csv scrivano2017-laptop
    ghz: 2.5, // assumed: hosts.csv gives the clock as unknown; a 2017 laptop part
    virtualization: true,
    nestedPaging: true,
    syscallNs: 100, // assumed
  },
  // derived from crun-true-nonetns 44.5 ms: less crun's own 2 Mcycles (0.8 ms) and 800 system calls
  // (0.08 ms), it is 2 fork+execs, 4 namespaces, 52 mounts and 78 cgroup writes (engines/modeled/oci-work.ts),
  // which cost 9.349x their CPU-derived defaults here (4.666 ms at 2.5 GHz): a 2017 Fedora kernel with
  // cgroup v1 and a desktop's many mounts. The network namespace is runc-true-netns 189.9 - runc-true-nonetns 75.1.
  kernel: {
    forkExecUs: 3833, // 9.349 x 410
    namespaceUs: 377.7, // 9.349 x 40.4
    mountUs: 377.7, // 9.349 x 40.4
    cgroupWriteUs: 189.8, // 9.349 x 20.3
    netnsUs: 114_800, // runc-true-netns - runc-true-nonetns
  },
  memory: { gib: 16, bandwidthGBs: 25, randomAccessNs: 25 }, // assumed: a 2017 dual-channel DDR4 laptop
  storage: {
    capacityGiB: 512,
    seqReadMBs: 500,
    seqWriteMBs: 450,
    randReadIops: 90000,
    randWriteIops: 80000,
    latencyUs: 100,
  }, // assumed: SATA SSD
  network: { gbits: 1, rttUs: 500 }, // assumed: unused by its measurements
};

/** A current developer laptop. */
export const laptop: HardwareProfile = {
  id: 'dev-laptop',
  description: 'Developer laptop: 8 cores / 16 threads at 3.0 GHz, 32 GiB, NVMe SSD, 1 Gbit/s Wi-Fi',
  source: 'assumed: a typical 2024 developer laptop; each figure is a round vendor-datasheet value',
  cpu: {
    sockets: 1,
    coresPerSocket: 8,
    threadsPerCore: 2,
    ghz: 3.0,
    virtualization: true,
    nestedPaging: true,
    syscallNs: 90,
  },
  memory: { gib: 32, bandwidthGBs: 60, randomAccessNs: 15 },
  storage: {
    capacityGiB: 1024,
    seqReadMBs: 3500,
    seqWriteMBs: 3000,
    randReadIops: 500000,
    randWriteIops: 450000,
    latencyUs: 80,
  },
  network: { gbits: 1, rttUs: 2000 },
};

/** A small cloud virtual machine, the kind a CI runner is. */
export const cloudVm: HardwareProfile = {
  id: 'cloud-vm-4vcpu',
  description:
    'Cloud VM like GCE n1-standard-4: 4 vCPUs (2 cores x 2 threads) at 2.2 GHz, 15 GiB, network disk, 10 Gbit/s',
  source:
    'hosts.csv gvisor-n1-standard-4 (recalled); disk figures are the cloud provider published persistent-disk limits (recalled)',
  cpu: {
    sockets: 1,
    coresPerSocket: 2,
    threadsPerCore: 2,
    ghz: 2.2,
    // Nested virtualization is off by default on cloud VMs, so hypervisors inside fall back to emulation.
    virtualization: false,
    nestedPaging: false,
    syscallNs: 250,
  },
  memory: { gib: 15, bandwidthGBs: 12, randomAccessNs: 30 },
  storage: {
    capacityGiB: 100,
    seqReadMBs: 240,
    seqWriteMBs: 240,
    randReadIops: 15000,
    randWriteIops: 15000,
    latencyUs: 1000,
  },
  network: { gbits: 10, rttUs: 200 },
};

export const BUILTIN_HARDWARE: readonly HardwareProfile[] = [
  felter2015,
  firecrackerHost,
  gvisorHost,
  scrivanoLaptop,
  unikraftHost,
  ant2021Host,
  laptop,
  cloudVm,
];
