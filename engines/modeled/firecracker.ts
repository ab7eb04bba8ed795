import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';

const kvmCosts = kvm.spec.costs;

/** Firecracker: a minimal KVM VMM that loads vmlinux directly, with three virtio-mmio devices. */
export const firecracker = defineModeledEngine({
  id: 'firecracker',
  title: 'Firecracker microVM',
  kind: 'microvm',
  requiresVirtualization: true,
  boot: {
    vmmStartMs: assumed(0, 'given as work: vmmStartMcycles'),
    vmmStartMcycles: derived(
      12 * 2.5,
      'fc-vmm-start: VMM process start to API socket, 12 ms on fc-m5d-metal at 2.5 GHz',
    ),
    // This engine is the configuration-file launch (--no-api --config-file); firecracker-api is the socket's.
    controlSetupMcycles: derived(
      (3.062 - (0.4 * 1.048576 * 1.02) / 3 - 0.055 * 1.02322) * 3.6,
      "uk-eurosys21-boot-firecracker: 3.062 ms from the configuration to the unikernel's main(), less the 0.4 MiB image read (0.143 ms) and its 0.056 ms of guest init, at 3.6 GHz",
    ),
    controlCalls: assumed(0, 'a configuration file: no requests'),
    controlCallMcycles: assumed(0, 'no requests'),
    firmwareMs: assumed(0, 'no firmware: the VMM enters the kernel directly'),
    firmwareMcycles: assumed(0, 'no firmware'),
    firmwareExits: assumed(0, 'no firmware'),
    bootloaderMs: assumed(0, 'no boot loader'),
    bootloaderMcycles: assumed(0, 'no boot loader'),
    decompressesKernel: assumed(0, 'loads an uncompressed vmlinux'),
    devices: assumed(2, 'virtio-mmio block and the serial console; bridge mode adds virtio-mmio net'),
    deviceProbeMs: assumed(0, 'given as exits: deviceProbeExits'),
    exitKcycles: assumed(
      50,
      'an MMIO exit to the user-space VMM and back: the KVM exit, the ioctl return, device dispatch and re-entry, about 20 us at 2.5 GHz',
    ),
    deviceProbeExits: assumed(
      100,
      'virtio-mmio probing reads and writes some hundred device registers; no PCI enumeration',
    ),
    guestWaitMs: derived(
      108 - (40 / 2.5) * 1.02322 - 2 * 2,
      "nsdi20-boot-par10-fc-instancestart-p50: 108 ms from InstanceStart to init with 10 in flight (a busy host, no idle wake-ups, the vmlinux in the page cache), less nsdi20-linuxkit's kernel init (16.4 ms) and two 2 ms probes: the rest is waiting, since Cloud Hypervisor boots the same guest's kernel in well under it (nsdi20-boot-par10-chv-p50)",
    ),
    nicSetupMcycles: assumed(
      (42.742 - 38.401) * 3.6,
      "as QEMU's (uk-eurosys21-boot-qemu1nic - uk-eurosys21-boot-qemu, at 3.6 GHz): creating and attaching a tap device is the host kernel's work whichever VMM asks",
    ),
    wakeupsPerIo: derived(
      (160.85 - 157.328) / (40 * 0.133),
      'nsdi20-boot-serial-fc-p50 - nsdi20-boot-par10-fc-p50: 3.52 ms more when each boot runs alone on an idle host, over the 40 boot block requests of nsdi20-linuxkit at the 133 us C6 exit of fc-m5d-metal',
    ),
  },
  memory: {
    instanceOverheadMiB: derived(
      2.49,
      'nsdi20-mem-overhead-fc: writable mappings of the VMM beside guest RAM, flat over guest sizes; within the 5 MiB bound of fc-mem-overhead',
    ),
    hostReserveMiB: kvm.spec.memory.hostReserveMiB,
    pageSharingFraction: kvm.spec.memory.pageSharingFraction,
    workingSetOverheadFraction: kvm.spec.memory.workingSetOverheadFraction,
  },
  costs: {
    // Guest code runs on KVM exactly as under QEMU, so compute and paging costs are KVM's.
    cpuFraction: kvmCosts.cpuFraction,
    unpinnedParallelFraction: kvmCosts.unpinnedParallelFraction,
    memoryBandwidthFraction: kvmCosts.memoryBandwidthFraction,
    randomAccessExtraNs: kvmCosts.randomAccessExtraNs,
    syscallExtraNs: kvmCosts.syscallExtraNs,
    diskSeqFraction: assumed(0.02, 'virtio-block emulated in the VMM thread without vhost'),
    diskIoPathUs: assumed(30, 'each virtio-block request is handled serially by the VMM thread'),
    diskWritePathUs: assumed(30, 'as a read: the same VMM thread handles it'),
    networkPacketUs: derived(
      0.4672,
      'fc-net-throughput: 25 Gbit/s of 1460-byte segments with the emulation thread at 100% = 11680 bit / 25 Gbit/s',
    ),
    networkRoundTripExtraUs: derived(123, 'fc-ping-microvm 0.321 ms - fc-ping-native 0.198 ms'),
    emulationFraction: assumed(0, 'never used: Firecracker refuses to start without KVM (see requiresVirtualization)'),
  },
  storm: {
    serialMs: assumed(
      0,
      'one VMM process per microVM and no daemon: KVM_CREATE_VM holds the host-wide kvm_lock for microseconds only',
    ),
    setupCpuFraction: derived(8 / 12, 'fc-vmm-start: the VMM starts within 8 CPU ms of a typical 12 ms wall clock'),
    backgroundCpuMs: assumed(
      0,
      "launched by a script with no jailer, API client or tap device beside it, and the VMM's exit on the boot's own path; what a production launcher adds is the storm's harnessCpuMs (fc-creation-rate's set-up)",
    ),
  },
  noise: {
    bootCov: assumed(0.05, 'a short, CPU-bound boot'),
    runCov: kvm.spec.noise.runCov,
  },
});
