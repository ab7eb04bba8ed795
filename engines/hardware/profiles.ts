import type { HardwareProfile } from '../types.js';

/**
 * Built-in modeled machines. Row ids in comments refer to engines/data/published.csv and
 * engines/data/hosts.csv; figures without a row id say where they come from.
 */

/** The two-socket server of the Docker-vs-KVM study the default scenario reproduces. */
export const felter2015: HardwareProfile = {
  id: 'felter2015-x3650m4',
  description: 'IBM System x3650 M4, 2x Xeon E5-2665 (Sandy Bridge-EP), 256 GiB, flash array over FC, 10 GbE',
  source: 'hosts.csv felter2015-x3650m4 (partly recalled); rates from published.csv felter-* native rows',
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
    bandwidthGBs: 45.6, // felter-stream-triad-native
    randomAccessNs: 21.8, // derived from felter-gups-1s-native: 1 / 0.0458 GUPS
  },
  storage: {
    capacityGiB: 4096, // assumed: the FlashSystem 840 LUN size is not published with the study
    seqReadMBs: 806.9, // felter-fio-seqread-native
    seqWriteMBs: 751.0, // felter-fio-seqwrite-native
    randReadIops: 84044, // felter-fio-randread-native
    randWriteIops: 112034, // felter-fio-randwrite-native
    latencyUs: 100, // assumed: FlashSystem 840 over Fibre Channel, about 100 µs per 4 KiB read
  },
  network: {
    gbits: 10, // hosts.csv felter2015-x3650m4: 10 GbE
    rttUs: 37.58, // felter-tcprr-native
  },
};

/** A current developer laptop. */
export const laptop: HardwareProfile = {
  id: 'dev-laptop',
  description: 'Developer laptop: 8 cores / 16 threads at 3.0 GHz, 32 GiB, NVMe SSD, 1 Gbit/s Wi-Fi',
  source: 'assumed: a typical 2024 developer laptop; each figure is a round vendor-datasheet value',
  cpu: { sockets: 1, coresPerSocket: 8, threadsPerCore: 2, ghz: 3.0, virtualization: true, nestedPaging: true, syscallNs: 90 },
  memory: { gib: 32, bandwidthGBs: 60, randomAccessNs: 15 },
  storage: { capacityGiB: 1024, seqReadMBs: 3500, seqWriteMBs: 3000, randReadIops: 500000, randWriteIops: 450000, latencyUs: 80 },
  network: { gbits: 1, rttUs: 2000 },
};

/** A small cloud virtual machine, the kind a CI runner or a gVisor benchmark host is. */
export const cloudVm: HardwareProfile = {
  id: 'cloud-vm-4vcpu',
  description: 'Cloud VM like GCE n1-standard-4: 4 vCPUs (2 cores x 2 threads) at 2.2 GHz, 15 GiB, network disk, 10 Gbit/s',
  source: 'hosts.csv gvisor-n1-standard-4 (recalled); disk figures are the cloud provider published persistent-disk limits (recalled)',
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
  storage: { capacityGiB: 100, seqReadMBs: 240, seqWriteMBs: 240, randReadIops: 15000, randWriteIops: 15000, latencyUs: 1000 },
  network: { gbits: 10, rttUs: 200 },
};

export const BUILTIN_HARDWARE: readonly HardwareProfile[] = [felter2015, laptop, cloudVm];
