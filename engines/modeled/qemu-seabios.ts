import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { qemuQboot, SEABIOS_MCYCLES } from './qemu-qboot.js';

const qboot = qemuQboot.spec;

/**
 * QEMU on KVM with the pc machine and its default firmware, SeaBIOS, booting a bzImage given with
 * -kernel (SeaBIOS's linuxboot option ROM loads it; no boot loader). Everything but the firmware
 * is qemu-qboot's.
 */
export const qemuSeabios = defineModeledEngine({
  ...qboot,
  id: 'qemu-seabios',
  title: 'QEMU pc with SeaBIOS (KVM, direct kernel)',
  boot: {
    ...qboot.boot,
    firmwareMcycles: derived(
      SEABIOS_MCYCLES,
      "qboot's work plus nsdi20-boot-serial-qemu-p50 - nsdi20-boot-serial-qemu-qboot-p50 (29.6 ms at 2.5 GHz, over 1.0232 for KVM): POST, PCI enumeration, ACPI tables and the linuxboot option ROM",
    ),
  },
  memory: {
    ...qboot.memory,
    instanceOverheadMiB: assumed(
      qboot.memory.instanceOverheadMiB.value,
      "as qemu-qboot's (nsdi20-mem-overhead-qemu-qboot): the same QEMU and machine; the firmware's ROM is a few hundred KiB",
    ),
  },
});
