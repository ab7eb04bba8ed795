import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { kvm } from './kvm.js';

/** uk-eurosys21 unikernel on its 3.6 GHz host: the 0.4 MiB image read (+0.6% for QEMU's block path) and init, ms. */
const UK_GUEST_MS = (0.4 * 1.048576 * 1.006235) / 3 + (0.055 * 3.6 * 1.02322) / 3.6;
/** qboot's own work: set up the boot parameters and jump to the kernel fw_cfg hands it, Mcycles. */
export const QBOOT_MCYCLES = 5;
/** SeaBIOS beyond qboot: nsdi20-boot-serial-qemu-p50 - nsdi20-boot-serial-qemu-qboot-p50 at 2.5 GHz, over 1.0232 for KVM, Mcycles. */
export const SEABIOS_MCYCLES = QBOOT_MCYCLES + ((243.516 - 213.942) / 1.02322) * 2.5;
/** nsdi20-linuxkit on fc-m5d-metal under QEMU: the 6 MiB bzImage (in the page cache after the first boot) inflated, and the kernel init, ms. */
const NSDI_KERNEL_MS = ((6 * 1.048576 * 8) / 2.5) * 1.02322 + (40 / 2.5) * 1.02322;
/** What the NSDI'20 harness adds to every boot it times (scenarios/calibration/fc-nsdi2020.yaml app), ms. */
const NSDI_HARNESS_MS = 33.2;

/** QEMU's own start on the pc machine: the uk-eurosys21 boot with SeaBIOS, less SeaBIOS and the guest, Mcycles. */
const QEMU_PC_START_MCYCLES = (38.401 - UK_GUEST_MS) * 3.6 - SEABIOS_MCYCLES * 1.02322;

/**
 * QEMU on KVM with the pc machine, booting a bzImage given with -kernel through qboot, a minimal
 * firmware that only hands the kernel over: no POST, no option ROMs, no boot loader. Devices are
 * the pc machine's ISA and PCI devices with virtio-pci block. Compute, memory and I/O costs are
 * KVM's.
 */
export const qemuQboot = defineModeledEngine({
  id: 'qemu-qboot',
  title: 'QEMU pc with qboot (KVM, direct kernel)',
  kind: 'type1',
  requiresVirtualization: true,
  boot: {
    vmmStartMs: assumed(0, 'given as work: vmmStartMcycles'),
    vmmStartMcycles: derived(
      QEMU_PC_START_MCYCLES,
      "uk-eurosys21-boot-qemu: 38.4 ms to the unikernel's main() at 3.6 GHz, less its guest part and SeaBIOS (SEABIOS_MCYCLES)",
    ),
    controlSetupMcycles: assumed(0, 'configured on the command line; parsing it is part of the VMM start'),
    controlCalls: assumed(0, 'no QMP requests before the guest runs'),
    controlCallMcycles: assumed(0, 'no requests'),
    firmwareMs: assumed(0, 'given as work: firmwareMcycles'),
    firmwareMcycles: assumed(
      QBOOT_MCYCLES,
      'qboot sets up the boot parameters and jumps to the kernel that fw_cfg hands it: about 2 ms',
    ),
    firmwareExits: assumed(0, 'counted in firmwareMcycles'),
    bootloaderMs: assumed(0, 'no boot loader: -kernel'),
    bootloaderMcycles: assumed(0, 'no boot loader'),
    decompressesKernel: assumed(1, 'boots a bzImage'),
    devices: assumed(
      8,
      'pc machine: host bridge, PIIX3 ISA, IDE and power management, VGA, serial, RTC and virtio-blk-pci; bridge mode adds virtio-net-pci',
    ),
    deviceProbeMs: assumed(0, 'given as exits: deviceProbeExits'),
    exitKcycles: assumed(50, 'a port-I/O or MMIO exit to QEMU and back, about 20 us at 2.5 GHz'),
    deviceProbeExits: assumed(100, 'PCI config space and device registers: some hundred accesses per device'),
    guestWaitMs: derived(
      196.471 - (QEMU_PC_START_MCYCLES + QBOOT_MCYCLES * 1.02322) / 2.5 - NSDI_KERNEL_MS - 8 * 2 - NSDI_HARNESS_MS,
      "nsdi20-boot-par10-qemu-qboot-p50: 196.5 ms with 10 in flight less QEMU's start, qboot, the kernel read, inflation and init, 8 probes of 2 ms and the harness: the rest the guest waits on the pc machine's legacy devices",
    ),
    nicSetupMcycles: derived(
      (42.742 - 38.401) * 3.6,
      'uk-eurosys21-boot-qemu1nic - uk-eurosys21-boot-qemu: one virtio-net-pci with its tap, VMM and guest together, at 3.6 GHz',
    ),
    wakeupsPerIo: derived(
      (213.942 - 196.471) / (40 * 0.133),
      'nsdi20-boot-serial-qemu-qboot-p50 - nsdi20-boot-par10-qemu-qboot-p50: 17.5 ms more alone on an idle host, over the 40 boot block requests of nsdi20-linuxkit at the 133 us C6 exit of fc-m5d-metal',
    ),
  },
  memory: {
    instanceOverheadMiB: derived(131.4, 'nsdi20-mem-overhead-qemu-qboot: writable mappings of QEMU beside guest RAM'),
    hostReserveMiB: kvm.spec.memory.hostReserveMiB,
    pageSharingFraction: kvm.spec.memory.pageSharingFraction,
    workingSetOverheadFraction: kvm.spec.memory.workingSetOverheadFraction,
  },
  costs: kvm.spec.costs,
  storm: {
    serialMs: assumed(
      0,
      'started directly, without libvirt: no driver-wide lock; KVM_CREATE_VM holds kvm_lock for microseconds',
    ),
    setupCpuFraction: kvm.spec.storm!.setupCpuFraction,
    backgroundCpuMs: assumed(0, 'started directly from the command line: nothing runs beside the boot'),
  },
  noise: kvm.spec.noise,
});
