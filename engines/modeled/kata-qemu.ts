import { kataEngine } from './kata.js';
import { qemuMicrovm } from './qemu-microvm.js';

/** Kata Containers with QEMU as the VMM (its microvm machine, virtio-mmio, virtio-fs). */
export const kataQemu = kataEngine('kata-qemu', 'Kata Containers (QEMU)', qemuMicrovm.spec);
