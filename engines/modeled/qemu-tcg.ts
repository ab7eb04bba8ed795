import { assumed } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';
import { wallClockOnly } from './vm-work.js';

const kvmCosts = kvm.spec.costs;

/**
 * QEMU with its Tiny Code Generator: a type-2 VMM that translates every guest instruction in
 * software, with or without VT-x. It boots the kernel directly (-kernel), as the qemu real driver
 * does. Translation is the compute cost itself here, so it sits in cpuFraction and applies on any
 * host; emulationFraction stays 0 so a host without VT-x does not add it a second time.
 */
export const qemuTcg = defineModeledEngine({
  id: 'qemu-tcg',
  title: 'QEMU TCG (emulation, direct kernel boot)',
  kind: 'type2',
  boot: {
    vmmStartMs: assumed(
      100,
      'qemu-system-x86_64 process start, machine and device-model setup and the translation buffer, without KVM_CREATE_VM: about 0.1 s',
    ),
    firmwareMs: assumed(
      400,
      'SeaBIOS POST and the linuxboot option ROM, translated rather than run natively: the 0.35 s of kvm firmwareMs a little slower',
    ),
    bootloaderMs: assumed(0, 'direct kernel boot: QEMU hands over the kernel through fw_cfg, no boot loader runs'),
    devices: assumed(
      6,
      'pc machine with -nodefaults: host bridge, PIIX3 ISA/IDE/USB functions, serial port, RTC and timers',
    ),
    deviceProbeMs: assumed(
      10,
      'each emulated register access is a call into QEMU from translated code rather than a VM exit',
    ),
    ...wallClockOnly('bzImage'),
  },
  memory: {
    instanceOverheadMiB: assumed(
      80,
      'QEMU process beyond guest RAM: device models and libraries as under KVM (about 60 MiB) plus the touched part of the translated-code buffer',
    ),
    hostReserveMiB: kvm.spec.memory.hostReserveMiB,
    pageSharingFraction: kvm.spec.memory.pageSharingFraction,
    workingSetOverheadFraction: kvm.spec.memory.workingSetOverheadFraction,
  },
  costs: {
    cpuFraction: kvmCosts.emulationFraction,
    unpinnedParallelFraction: kvmCosts.unpinnedParallelFraction,
    memoryBandwidthFraction: assumed(
      3,
      'every guest load and store runs a software TLB lookup in translated code: several host instructions per access',
    ),
    randomAccessExtraNs: assumed(
      20,
      'a software-TLB miss walks the guest page tables in C code: tens of ns beyond the hardware walk',
    ),
    syscallExtraNs: assumed(
      700,
      'the guest system call path (entry, handler, return) runs as translated code, about 8x its native 100 ns',
    ),
    diskSeqFraction: assumed(
      0.1,
      "virtio-blk in QEMU's block layer as under KVM; the slower guest driver adds per-request work",
    ),
    diskIoPathUs: assumed(
      60,
      'the QEMU virtio I/O path of kvm diskIoPathUs (21.66 us) plus the guest driver and interrupt handling translated',
    ),
    diskWritePathUs: assumed(
      47,
      "the read cost x 0.778, the write-to-read ratio of KVM's path (felter-fio-randwrite-kvm, felter-fio-randread-kvm)",
    ),
    networkPacketUs: assumed(10, 'the guest network stack and virtio-net driver run as translated code'),
    networkRoundTripExtraUs: assumed(
      200,
      'both guest stack traversals of a request/response run translated, about 8x the KVM path',
    ),
    emulationFraction: assumed(0, 'already counted in cpuFraction: TCG translates whether or not the host has VT-x'),
  },
  noise: {
    bootCov: assumed(0.05, 'a CPU-bound boot, as under KVM'),
    runCov: assumed(0.03, 'translation-cache effects vary a little from run to run'),
  },
});
