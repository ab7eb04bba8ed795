import { assumed, derived, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { wallClockOnly } from './vm-work.js';

/** KVM with QEMU, virtio-blk and virtio-net with vhost: the type-1 hypervisor of the Felter study. */
export const kvm = defineModeledEngine({
  id: 'kvm',
  title: 'KVM (QEMU, virtio)',
  kind: 'type1',
  boot: {
    vmmStartMs: param(
      150,
      'recalled',
      'qemu-system-x86_64 process start, KVM_CREATE_VM and memory setup: about 0.15 s',
    ),
    firmwareMs: param(350, 'recalled', 'SeaBIOS POST with option ROMs under QEMU: about 0.35 s'),
    bootloaderMs: param(
      250,
      'recalled',
      'GRUB with GRUB_TIMEOUT=0 as cloud images set it: module loading and config, about 0.25 s',
    ),
    devices: assumed(
      11,
      'q35 machine with virtio-blk, virtio-net, virtio-rng, serial, RTC, PCI bridges, less the NIC, which bridge mode adds',
    ),
    deviceProbeMs: assumed(15, 'PCI config-space reads each trap to QEMU'),
    ...wallClockOnly('bzImage'),
  },
  memory: {
    instanceOverheadMiB: param(
      60,
      'recalled',
      'QEMU process RSS beyond guest RAM: device models, page tables, about 60 MiB',
    ),
    hostReserveMiB: assumed(2048, 'host Linux and libvirt'),
    pageSharingFraction: assumed(0.5, 'KSM merges about half of identical guest-OS pages across guests of one image'),
    workingSetOverheadFraction: assumed(0, 'a VM reserves its whole guest RAM and the working set lives inside it'),
  },
  costs: {
    cpuFraction: derived(
      0.02322,
      'felter-linpack-native 290.8 / felter-linpack-kvm-tuned 284.2 GFLOPS - 1: pinned vCPUs, host topology',
    ),
    unpinnedParallelFraction: derived(
      1.1811,
      'felter-linpack-kvm-tuned 284.2 / felter-linpack-kvm-untuned 130.3 GFLOPS - 1: floating vCPUs on top of the tuned cost',
    ),
    memoryBandwidthFraction: derived(
      0.01288,
      'felter-stream-triad-native 45.60 / felter-stream-triad-kvm 45.02 GB/s - 1',
    ),
    randomAccessExtraNs: derived(
      3.547,
      'felter-gups-1s-kvm: 1/0.0394 GUPS - 1/0.0458 GUPS = 25.381 - 21.834 ns per update: the two-dimensional page walk',
    ),
    syscallExtraNs: assumed(0, 'with VT-x a guest system call does not leave the guest'),
    diskSeqFraction: derived(0.006235, 'felter-fio-seqread-native 806.9 / felter-fio-seqread-kvm 801.9 MB/s - 1'),
    diskIoPathUs: derived(
      21.66,
      'felter-fio-randread-kvm: 46173 IOPS = one read per 21.66 us through the exit and the QEMU I/O thread',
    ),
    diskWritePathUs: derived(
      16.857,
      'felter-fio-randwrite-kvm: 59321 IOPS = one write per 16.857 us through the same path',
    ),
    networkPacketUs: derived(
      1.2383,
      "felter-nuttcp-kvm 9.29 / felter-nuttcp-native 9.35 Gbit/s of the link's 9.415 Gbit/s TCP goodput: 11584 bit per segment / 9.355 Gbit/s",
    ),
    networkRoundTripExtraUs: derived(
      29.145,
      'mean of felter-tcprr-kvm - felter-tcprr-native (30.36 us) and felter-udprr-kvm - felter-udprr-native (27.93 us)',
    ),
    emulationFraction: param(7, 'recalled', 'QEMU TCG runs guest code about 8x slower than hardware virtualization'),
  },
  storm: {
    serialMs: assumed(
      5,
      "libvirt's QEMU driver registers each domain under its driver-wide lock, and KVM_CREATE_VM takes the host's kvm_lock: milliseconds per start",
    ),
    setupCpuFraction: assumed(
      0.7,
      'QEMU start (device models, guest memory mapping), SeaBIOS POST and GRUB run on host threads; their waits are short',
    ),
    backgroundCpuMs: assumed(0, 'no host work known beside the boot path'),
  },
  noise: {
    bootCov: assumed(0.05, 'boot phases are mostly CPU-bound and repeatable'),
    runCov: derived(0.0053, 'felter-linpack-kvm-tuned: +-1.5 GFLOPS of 284.2'),
  },
});
