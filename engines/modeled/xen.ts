import { assumed, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';
import { wallClockOnly } from './vm-work.js';

/** Xen HVM guest with PV drivers: I/O goes through blkback and netback in dom0. */
export const xen = defineModeledEngine({
  id: 'xen',
  title: 'Xen (HVM with PV drivers)',
  kind: 'type1',
  boot: {
    vmmStartMs: param(400, 'recalled', 'xl create: domain build, device model and backend setup in dom0, about 0.4 s'),
    firmwareMs: param(400, 'recalled', 'hvmloader plus SeaBIOS: about 0.4 s'),
    bootloaderMs: kvm.spec.boot.bootloaderMs,
    devices: assumed(
      9,
      'emulated platform devices plus PV block, net and console, less the NIC, which bridge mode adds',
    ),
    deviceProbeMs: assumed(15, 'xenbus handshakes with dom0 backends'),
    ...wallClockOnly('bzImage'),
  },
  memory: {
    instanceOverheadMiB: param(
      40,
      'recalled',
      'per-domain overhead: shadow/p2m tables and qemu device model stub, about 40 MiB',
    ),
    hostReserveMiB: param(4096, 'recalled', 'dom0 memory commonly set with dom0_mem=4G'),
    pageSharingFraction: assumed(0, 'Xen memory sharing is not enabled in common deployments'),
    workingSetOverheadFraction: assumed(0, 'a VM reserves its whole guest RAM and the working set lives inside it'),
  },
  costs: {
    cpuFraction: assumed(0.025, 'hardware-assisted; credit scheduler and event channels add a little over KVM'),
    unpinnedParallelFraction: assumed(1.0, 'no topology passed through by default, like KVM untuned'),
    memoryBandwidthFraction: kvm.spec.costs.memoryBandwidthFraction,
    randomAccessExtraNs: kvm.spec.costs.randomAccessExtraNs,
    syscallExtraNs: assumed(0, 'HVM guests make system calls without leaving the guest'),
    diskSeqFraction: assumed(0.01, 'grant copies between domU and dom0'),
    diskIoPathUs: assumed(25, 'ring request, event channel, blkback in dom0 and grant mapping per I/O'),
    diskWritePathUs: assumed(
      19.46,
      "the read cost x 0.778, the write-to-read ratio of KVM's path (felter-fio-randwrite-kvm, felter-fio-randread-kvm)",
    ),
    networkPacketUs: assumed(1.5, 'netback grant copy per packet in dom0'),
    networkRoundTripExtraUs: assumed(40, 'two event-channel hops through dom0 per direction'),
    emulationFraction: assumed(7, 'as KVM without VT-x'),
  },
  storm: {
    serialMs: assumed(
      60,
      'LightVM (SOSP 2017, recalled): xl create serialises on xenstored, whose transactions dominate domain creation; 60 of its 400 ms',
    ),
    setupCpuFraction: assumed(0.7, 'domain build and device-model start run in dom0 on host threads'),
    backgroundCpuMs: assumed(0, 'no host work known beside the boot path'),
  },
  noise: {
    bootCov: assumed(0.05, 'boot phases are mostly CPU-bound and repeatable'),
    runCov: kvm.spec.noise.runCov,
  },
});
