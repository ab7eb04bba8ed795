import { assumed, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';
import { wallClockOnly } from './vm-work.js';

/** VMware ESXi with paravirtual SCSI and vmxnet3. */
export const esxi = defineModeledEngine({
  id: 'esxi',
  title: 'VMware ESXi (pvscsi, vmxnet3)',
  kind: 'type1',
  boot: {
    vmmStartMs: param(300, 'recalled', 'power-on: VMX process start and memory reservation, about 0.3 s'),
    firmwareMs: param(700, 'recalled', 'EFI firmware, the default for new VMs: about 0.7 s to the boot manager'),
    bootloaderMs: kvm.spec.boot.bootloaderMs,
    devices: assumed(9, 'pvscsi, vmxnet3, SVGA, VMCI, serial and PCI bridges, less the NIC, which bridge mode adds'),
    deviceProbeMs: assumed(12, 'paravirtual devices need few trapping register accesses'),
    ...wallClockOnly('bzImage'),
  },
  memory: {
    instanceOverheadMiB: param(50, 'recalled', 'VMX overhead memory for a 2 vCPU / 2 GiB VM: about 50 MiB'),
    hostReserveMiB: param(4096, 'recalled', 'ESXi system resource reservation on a large host: about 4 GiB'),
    pageSharingFraction: assumed(0, 'inter-VM transparent page sharing is salted off by default since ESXi 6.0'),
    workingSetOverheadFraction: assumed(0, 'a VM reserves its whole guest RAM and the working set lives inside it'),
  },
  costs: {
    cpuFraction: assumed(0.02, 'hardware-assisted like KVM; VMkernel scheduler overhead comparable'),
    unpinnedParallelFraction: assumed(
      0.6,
      'vNUMA exposes topology to wide VMs, so the unpinned penalty is smaller than KVM untuned',
    ),
    memoryBandwidthFraction: kvm.spec.costs.memoryBandwidthFraction,
    randomAccessExtraNs: kvm.spec.costs.randomAccessExtraNs,
    syscallExtraNs: assumed(0, 'with VT-x a guest system call does not leave the guest'),
    diskSeqFraction: assumed(0.005, 'pvscsi moves large transfers with one exit per request'),
    diskIoPathUs: assumed(12, 'pvscsi with request coalescing in the VMkernel storage stack'),
    diskWritePathUs: assumed(
      9.34,
      "the read cost x 0.778, the write-to-read ratio of KVM's path (felter-fio-randwrite-kvm, felter-fio-randread-kvm)",
    ),
    networkPacketUs: assumed(1.1, 'vmxnet3 with LRO/TSO in the VMkernel'),
    networkRoundTripExtraUs: assumed(25, 'virtual switch plus interrupt coalescing on both legs'),
    emulationFraction: assumed(7, 'as KVM without VT-x: binary translation or emulation'),
  },
  noise: {
    bootCov: assumed(0.05, 'boot phases are mostly CPU-bound and repeatable'),
    runCov: kvm.spec.noise.runCov,
  },
});
