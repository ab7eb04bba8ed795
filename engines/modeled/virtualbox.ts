import { assumed, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';
import { wallClockOnly } from './vm-work.js';

/** Oracle VirtualBox on a host OS, with its defaults: emulated AHCI disk and NAT networking. */
export const virtualbox = defineModeledEngine({
  id: 'virtualbox',
  title: 'Oracle VirtualBox (AHCI, NAT)',
  kind: 'type2',
  boot: {
    vmmStartMs: param(800, 'recalled', 'VBoxHeadless start, VM config load and R0 driver setup: about 0.8 s'),
    firmwareMs: param(1200, 'recalled', 'VirtualBox BIOS POST with its logo delay: about 1.2 s'),
    bootloaderMs: kvm.spec.boot.bootloaderMs,
    devices: assumed(
      13,
      'AHCI, e1000, VGA, audio, USB OHCI, ACPI, PS/2 and PCI bridges, less the NIC, which bridge mode adds',
    ),
    deviceProbeMs: assumed(25, 'fully emulated devices trap on every register access'),
    ...wallClockOnly('bzImage'),
  },
  memory: {
    instanceOverheadMiB: param(120, 'recalled', 'VBoxHeadless process beyond guest RAM: about 120 MiB'),
    hostReserveMiB: assumed(4096, 'a desktop-class host OS with its services'),
    pageSharingFraction: assumed(0, 'page fusion is disabled by default and unsupported on Linux hosts'),
    workingSetOverheadFraction: assumed(0, 'a VM reserves its whole guest RAM and the working set lives inside it'),
  },
  costs: {
    // A type-2 VMM is an ordinary process: the host OS schedules its vCPU threads beside everything else.
    cpuFraction: assumed(0.06, 'host-OS scheduling of vCPU threads plus world switches into the host kernel driver'),
    unpinnedParallelFraction: kvm.spec.costs.unpinnedParallelFraction,
    memoryBandwidthFraction: assumed(0.03, 'host OS memory management beneath the guest'),
    randomAccessExtraNs: assumed(4.5, 'nested paging as KVM, with host large pages less often available'),
    syscallExtraNs: assumed(0, 'with VT-x a guest system call does not leave the guest'),
    diskSeqFraction: assumed(0.08, 'emulated AHCI through the host file system and page cache'),
    diskIoPathUs: assumed(45, 'AHCI register traps, the VMM I/O thread and a host file-system call per I/O'),
    diskWritePathUs: assumed(
      35.02,
      "the read cost x 0.778, the write-to-read ratio of KVM's path (felter-fio-randwrite-kvm, felter-fio-randread-kvm)",
    ),
    networkPacketUs: assumed(4, 'NAT networking copies every packet through a user-space TCP/IP stack'),
    networkRoundTripExtraUs: assumed(120, 'user-space NAT on both legs'),
    emulationFraction: assumed(7, 'VirtualBox 7 refuses to run 64-bit guests without VT-x; emulation cost as QEMU TCG'),
  },
  noise: {
    bootCov: assumed(0.08, 'host-OS scheduling adds variation'),
    runCov: assumed(0.02, 'host-OS scheduling adds variation'),
  },
});
