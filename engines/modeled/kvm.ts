import { assumed, derived, param } from '../param.js';
import { defineModeledEngine } from './define.js';

/** KVM with QEMU, virtio-blk and virtio-net with vhost: the type-1 hypervisor of the Felter study. */
export const kvm = defineModeledEngine({
  id: 'kvm',
  title: 'KVM (QEMU, virtio)',
  kind: 'type1',
  boot: {
    vmmStartMs: param(150, 'recalled', 'qemu-system-x86_64 process start, KVM_CREATE_VM and memory setup: about 0.15 s'),
    firmwareMs: param(350, 'recalled', 'SeaBIOS POST with option ROMs under QEMU: about 0.35 s'),
    bootloaderMs: param(250, 'recalled', 'GRUB with GRUB_TIMEOUT=0 as cloud images set it: module loading and config, about 0.25 s'),
    devices: assumed(12, 'q35 machine with virtio-blk, virtio-net, virtio-rng, serial, RTC, PCI bridges'),
    deviceProbeMs: assumed(15, 'PCI config-space reads each trap to QEMU'),
  },
  memory: {
    instanceOverheadMiB: param(60, 'recalled', 'QEMU process RSS beyond guest RAM: device models, page tables, about 60 MiB'),
    hostReserveMiB: assumed(2048, 'host Linux and libvirt'),
    pageSharingFraction: assumed(0.5, 'KSM merges about half of identical guest-OS pages across guests of one image'),
  },
  costs: {
    cpuFraction: derived(0.0232, 'felter-linpack-native 290.8 / felter-linpack-kvm-tuned 284.2 GFLOPS - 1'),
    unpinnedParallelFraction: derived(1.2317, 'felter-linpack-native 290.8 / felter-linpack-kvm-untuned 130.3 GFLOPS - 1'),
    memoryBandwidthFraction: derived(0.0129, 'felter-stream-triad-native 45.60 / felter-stream-triad-kvm 45.02 GB/s - 1'),
    randomAccessExtraNs: derived(3.58, 'felter-gups-1s-kvm: 1/0.0394 GUPS - 1/0.0458 GUPS = 25.38 - 21.83 ns per update'),
    syscallExtraNs: assumed(0, 'with VT-x a guest system call does not leave the guest'),
    diskSeqFraction: derived(0.0062, 'felter-fio-seqread-native 806.9 / felter-fio-seqread-kvm 801.9 MB/s - 1'),
    diskIoPathUs: derived(21.66, 'felter-fio-randread-kvm: 46173 IOPS = one I/O per 21.66 us through the exit and QEMU I/O path'),
    networkPacketUs: derived(1.2077, 'felter-nuttcp-kvm 9.29 vs native 9.35 Gbit/s: a path cap of 9.936 Gbit/s = 12000 bit / 1.2077 us'),
    networkRoundTripExtraUs: derived(30.36, 'felter-tcprr-kvm 67.94 us - felter-tcprr-native 37.58 us'),
    emulationFraction: param(7, 'recalled', 'QEMU TCG runs guest code about 8x slower than hardware virtualization'),
  },
  noise: {
    bootCov: assumed(0.05, 'boot phases are mostly CPU-bound and repeatable'),
    runCov: derived(0.0053, 'felter-linpack-kvm-tuned: +-1.5 GFLOPS of 284.2'),
  },
});
