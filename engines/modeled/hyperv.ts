import { assumed, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';
import { wallClockOnly } from './vm-work.js';

/** Microsoft Hyper-V, generation 2 VM with synthetic (VMBus) devices. */
export const hyperv = defineModeledEngine({
  id: 'hyperv',
  title: 'Microsoft Hyper-V (Gen 2, VMBus)',
  kind: 'type1',
  boot: {
    vmmStartMs: param(500, 'recalled', 'vmwp.exe worker process start and partition creation, about 0.5 s'),
    firmwareMs: param(900, 'recalled', 'Gen 2 UEFI firmware with Secure Boot: about 0.9 s'),
    bootloaderMs: kvm.spec.boot.bootloaderMs,
    devices: assumed(
      7,
      'synthetic SCSI, network, keyboard, video, heartbeat, time sync, KVP, shutdown, less the NIC, which bridge mode adds',
    ),
    deviceProbeMs: assumed(14, 'VMBus channel offers and opens'),
    ...wallClockOnly('bzImage'),
  },
  memory: {
    instanceOverheadMiB: param(45, 'recalled', 'worker process and partition overhead for a 2 GiB guest, about 45 MiB'),
    hostReserveMiB: param(4096, 'recalled', 'root partition reserve on a server host, about 4 GiB'),
    pageSharingFraction: assumed(0, 'Hyper-V has no inter-VM page sharing'),
    workingSetOverheadFraction: assumed(0, 'a VM reserves its whole guest RAM and the working set lives inside it'),
  },
  costs: {
    cpuFraction: assumed(0.025, 'hardware-assisted; enlightened guests avoid most timer exits'),
    unpinnedParallelFraction: assumed(0.6, 'virtual NUMA exposes topology to wide VMs'),
    memoryBandwidthFraction: kvm.spec.costs.memoryBandwidthFraction,
    randomAccessExtraNs: kvm.spec.costs.randomAccessExtraNs,
    syscallExtraNs: assumed(0, 'with VT-x a guest system call does not leave the guest'),
    diskSeqFraction: assumed(0.008, 'synthetic SCSI over VMBus'),
    diskIoPathUs: assumed(18, 'VMBus ring plus storvsp in the root partition per I/O'),
    diskWritePathUs: assumed(
      14.01,
      "the read cost x 0.778, the write-to-read ratio of KVM's path (felter-fio-randwrite-kvm, felter-fio-randread-kvm)",
    ),
    networkPacketUs: assumed(1.2, 'netvsc with VMQ'),
    networkRoundTripExtraUs: assumed(30, 'virtual switch in the root partition on both legs'),
    emulationFraction: assumed(7, 'as KVM without VT-x'),
  },
  noise: {
    bootCov: assumed(0.05, 'boot phases are mostly CPU-bound and repeatable'),
    runCov: kvm.spec.noise.runCov,
  },
});
