import { assumed, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';
import { wallClockOnly } from './vm-work.js';

/** VMware Workstation on a host OS, with LSI Logic SAS disk and NAT networking. */
export const vmwareWorkstation = defineModeledEngine({
  id: 'vmware-workstation',
  title: 'VMware Workstation (LSI SAS, NAT)',
  kind: 'type2',
  boot: {
    vmmStartMs: param(700, 'recalled', 'vmware-vmx start and monitor load: about 0.7 s'),
    firmwareMs: param(900, 'recalled', 'VMware EFI firmware: about 0.9 s'),
    bootloaderMs: kvm.spec.boot.bootloaderMs,
    devices: assumed(
      12,
      'LSI SAS, e1000e, SVGA, sound, USB, VMCI, ACPI and PCI bridges, less the NIC, which bridge mode adds',
    ),
    deviceProbeMs: assumed(20, 'emulated devices with some paravirtual paths'),
    ...wallClockOnly('bzImage'),
  },
  memory: {
    instanceOverheadMiB: param(100, 'recalled', 'vmware-vmx process beyond guest RAM: about 100 MiB'),
    hostReserveMiB: assumed(4096, 'a desktop-class host OS with its services'),
    pageSharingFraction: assumed(0.2, 'page sharing within one host is on by default in Workstation'),
    workingSetOverheadFraction: assumed(0, 'a VM reserves its whole guest RAM and the working set lives inside it'),
  },
  costs: {
    cpuFraction: assumed(0.045, 'host-OS scheduling of vCPU threads plus world switches'),
    unpinnedParallelFraction: kvm.spec.costs.unpinnedParallelFraction,
    memoryBandwidthFraction: assumed(0.025, 'host OS memory management beneath the guest'),
    randomAccessExtraNs: assumed(4.2, 'nested paging as KVM, with host large pages less often available'),
    syscallExtraNs: assumed(0, 'with VT-x a guest system call does not leave the guest'),
    diskSeqFraction: assumed(0.06, 'emulated SAS controller through the host file system'),
    diskIoPathUs: assumed(35, 'controller emulation, the VMX I/O thread and a host file-system call per I/O'),
    diskWritePathUs: assumed(
      27.24,
      "the read cost x 0.778, the write-to-read ratio of KVM's path (felter-fio-randwrite-kvm, felter-fio-randread-kvm)",
    ),
    networkPacketUs: assumed(3, 'NAT device in a host user-space service'),
    networkRoundTripExtraUs: assumed(90, 'host NAT service on both legs'),
    emulationFraction: assumed(7, 'binary translation is gone since Workstation 14: emulation cost as QEMU TCG'),
  },
  noise: {
    bootCov: assumed(0.07, 'host-OS scheduling adds variation'),
    runCov: assumed(0.015, 'host-OS scheduling adds variation'),
  },
});
