import { defineQemuDriver } from './qemu.js';

/**
 * QEMU's microvm machine: no PCI and no legacy chipset, virtio devices on MMIO slots, qboot (or
 * SeaBIOS) as firmware and a direct kernel boot, as Firecracker-like VMMs start their guests.
 */
export const qemuMicrovmDriver = defineQemuDriver(
  'qemu-microvm',
  'QEMU microvm (-M microvm, qboot, virtio-mmio, direct kernel boot)',
  'microvm',
);
