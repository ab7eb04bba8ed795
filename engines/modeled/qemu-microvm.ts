import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { firecracker } from './firecracker.js';
import { QBOOT_MCYCLES, qemuQboot } from './qemu-qboot.js';

const qboot = qemuQboot.spec;
/** uk-eurosys21 unikernel on its 3.6 GHz host: the 0.4 MiB image read (+2% through virtio-mmio) and init, ms. */
const UK_GUEST_MS = (0.4 * 1.048576 * 1.02) / 3 + (0.055 * 3.6 * 1.02322) / 3.6;
const MICROVM_START_MCYCLES = (9.053 - UK_GUEST_MS) * 3.6 - QBOOT_MCYCLES * 1.02322;
/** nsdi20-linuxkit on fc-m5d-metal: the 6 MiB bzImage inflated (read from the page cache after the first boot) and the kernel init, ms. */
const NSDI_KERNEL_MS = ((6 * 1.048576 * 8) / 2.5) * 1.02322 + (40 / 2.5) * 1.02322;
const NSDI_HARNESS_MS = 33.2;

/**
 * QEMU's microvm machine (-M microvm): no PCI and no ACPI, virtio-mmio devices, qboot as firmware
 * and a bzImage given with -kernel. The QEMU process, its exits and its host costs are qemu-qboot's
 * with Firecracker's virtio-mmio I/O path.
 */
export const qemuMicrovm = defineModeledEngine({
  id: 'qemu-microvm',
  title: 'QEMU microvm (KVM, qboot, virtio-mmio)',
  kind: 'microvm',
  requiresVirtualization: true,
  boot: {
    ...qboot.boot,
    vmmStartMcycles: derived(
      MICROVM_START_MCYCLES,
      "uk-eurosys21-boot-qemumicrovm: 9.05 ms to the unikernel's main() at 3.6 GHz, less its guest part and qboot",
    ),
    devices: assumed(2, 'virtio-mmio block and the serial console; bridge mode adds virtio-mmio net'),
    guestWaitMs: derived(
      581.986 -
        40 * qboot.boot.wakeupsPerIo.value * 0.133 -
        (MICROVM_START_MCYCLES + QBOOT_MCYCLES * 1.02322) / 2.5 -
        NSDI_KERNEL_MS -
        2 * 2 -
        NSDI_HARNESS_MS,
      "nsdi20-boot-serial-qemu-microvm-p50: 582 ms alone on an idle host, less QEMU's idle wake-ups (qemu-qboot's), the microvm start, qboot, the kernel read, inflation and init, 2 probes and the harness: the guest of QEMU 4.2's first microvm machine waits out the legacy devices it lacks",
    ),
  },
  memory: {
    ...qboot.memory,
    instanceOverheadMiB: assumed(
      qboot.memory.instanceOverheadMiB.value,
      "as qemu-qboot's (nsdi20-mem-overhead-qemu-qboot): the same QEMU process with fewer device models",
    ),
  },
  costs: {
    ...qboot.costs,
    diskSeqFraction: firecracker.spec.costs.diskSeqFraction,
    diskIoPathUs: assumed(25, "virtio-mmio block through QEMU's block layer, without vhost"),
    diskWritePathUs: assumed(25, 'as a read'),
  },
  storm: qboot.storm,
  noise: qboot.noise,
});
