import { assumed, derived, read } from '../param.js';
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
    vmmStartMs: read(12, 'fc-vmm-start: VMM process start to API socket'),
    firmwareMs: assumed(0, 'no firmware: the VMM enters the kernel directly'),
    bootloaderMs: assumed(0, 'no boot loader'),
    devices: assumed(3, 'virtio-mmio block, net and the serial console'),
    deviceProbeMs: assumed(2, 'virtio-mmio probing has no PCI enumeration'),
  },
  memory: {
    instanceOverheadMiB: read(5, 'fc-mem-overhead: at most 5 MiB per microVM'),
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
    backgroundCpuMs: derived(
      140,
      'fc-creation-rate: 5 microVMs per physical core per second on fc-m5d-metal is 200 ms of a core each, or 260 ms of a hardware ' +
        "thread with a core's two threads worth 1.3 (storm-plan.ts SMT_THREAD_YIELD); the VMM start (8 CPU ms, fc-vmm-start) and the " +
        'boot to /sbin/init (112 ms of vCPU time, fc-boot) take 120 ms; the rest is the jailer, the configuration API calls, the tap ' +
        'device and tearing down the microVM each new one replaces',
    ),
  },
  noise: {
    bootCov: assumed(0.05, 'a short, CPU-bound boot'),
    runCov: kvm.spec.noise.runCov,
  },
});
