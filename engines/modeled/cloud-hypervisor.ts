import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { firecracker } from './firecracker.js';

const fc = firecracker.spec;
/** nsdi20-linuxkit on fc-m5d-metal: kernel init (40 Mcycles x 1.0232); the vmlinux is in the page cache after the first boot, ms. */
const NSDI_KERNEL_MS = (40 / 2.5) * 1.02322;
/** What the NSDI'20 harness adds to every boot it times (scenarios/calibration/fc-nsdi2020.yaml app), ms. */
const NSDI_HARNESS_MS = 33.2;

/**
 * Cloud Hypervisor: a Rust VMM on the same rust-vmm crates as Firecracker, configured from its
 * command line, with virtio-pci devices. It loads vmlinux directly (no firmware) as the NSDI'20
 * runs did.
 */
export const cloudHypervisor = defineModeledEngine({
  id: 'cloud-hypervisor',
  title: 'Cloud Hypervisor microVM',
  kind: 'microvm',
  requiresVirtualization: true,
  boot: {
    vmmStartMs: assumed(0, 'given as work: vmmStartMcycles'),
    vmmStartMcycles: assumed(
      fc.boot.vmmStartMcycles.value,
      "as Firecracker's (fc-vmm-start): a static Rust VMM on the same crates, started the same way",
    ),
    controlSetupMcycles: assumed(
      fc.boot.controlSetupMcycles.value,
      "as Firecracker's configuration file (uk-eurosys21-boot-firecracker): the same VM creation, read from the command line",
    ),
    controlCalls: assumed(0, 'configured on the command line: no requests'),
    controlCallMcycles: assumed(0, 'no requests'),
    firmwareMs: assumed(0, 'no firmware: the VMM enters vmlinux directly'),
    firmwareMcycles: assumed(0, 'no firmware'),
    firmwareExits: assumed(0, 'no firmware'),
    bootloaderMs: assumed(0, 'no boot loader'),
    bootloaderMcycles: assumed(0, 'no boot loader'),
    decompressesKernel: assumed(0, 'loads an uncompressed vmlinux'),
    devices: assumed(3, 'virtio-pci block, console and RNG; bridge mode adds virtio-pci net'),
    deviceProbeMs: assumed(0, 'given as exits: deviceProbeExits'),
    exitKcycles: fc.boot.exitKcycles,
    deviceProbeExits: derived(
      ((79.881 - 12 - fc.boot.controlSetupMcycles.value / 2.5 - NSDI_KERNEL_MS - NSDI_HARNESS_MS) / 3) * (2500 / 50),
      'nsdi20-boot-par10-chv-p50: 79.9 ms with 10 in flight less the VMM start, configuration, the kernel read and init and the harness leaves 3.5 ms for probing 3 devices, at 50 kcycles per exit',
    ),
    guestWaitMs: assumed(
      0,
      'the boot has no room for waits: it is faster than the kernel work alone takes under Firecracker',
    ),
    nicSetupMcycles: fc.boot.nicSetupMcycles,
    wakeupsPerIo: derived(
      (102.461 - 79.881) / (40 * 0.133),
      'nsdi20-boot-serial-chv-p50 - nsdi20-boot-par10-chv-p50: 22.6 ms more alone on an idle host, over the 40 boot block requests of nsdi20-linuxkit at the 133 us C6 exit of fc-m5d-metal',
    ),
  },
  memory: {
    instanceOverheadMiB: derived(13.34, 'nsdi20-mem-overhead-chv: writable mappings of the VMM beside guest RAM'),
    hostReserveMiB: fc.memory.hostReserveMiB,
    pageSharingFraction: fc.memory.pageSharingFraction,
    workingSetOverheadFraction: fc.memory.workingSetOverheadFraction,
  },
  costs: {
    ...fc.costs,
    diskIoPathUs: assumed(
      25,
      'virtio-block served by a dedicated I/O thread per queue, a little cheaper than the VMM thread of Firecracker',
    ),
    diskWritePathUs: assumed(25, 'as a read'),
  },
  storm: {
    serialMs: fc.storm!.serialMs,
    setupCpuFraction: fc.storm!.setupCpuFraction,
    backgroundCpuMs: assumed(0, 'started directly from the command line: no jailer or API client beside the boot'),
  },
  noise: fc.noise,
});
