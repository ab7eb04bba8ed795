import { assumed, derived, param, read } from './param.js';
import type { OsImage } from './types.js';

/**
 * Operating-system images. One entry describes a distribution both ways: as a container base
 * image (layers) and as an installed VM guest (disk, kernel, services). Container figures cite
 * engines/data/published.csv rows; VM figures are marked recalled or assumed where no published
 * row exists.
 */

export const ubuntu2404: OsImage = {
  id: 'ubuntu-24.04',
  description: 'Ubuntu 24.04 LTS: container base image, or a server cloud image with systemd and cloud-init',
  containerCompressedMiB: read(29.8 / 1.048576, 'img-ubuntu-compressed (29.8 MB)'),
  containerUnpackedMiB: read(78.16 / 1.048576, 'img-ubuntu-disk (78.16 MB)'),
  containerLayers: read(1, 'docker-library/repo-info repos/ubuntu/remote/24.04.md lists one layer'),
  vmInstalledMiB: param(
    2150,
    'recalled',
    'df on a fresh Ubuntu 24.04 server cloud instance: about 2.1 GiB used; img-ubuntu-cloud-qcow2 (600 MB) is the compressed, sparse download of it',
  ),
  kernelCompressedMiB: param(
    14 + 62,
    'recalled',
    'Ubuntu generic kernel: /boot/vmlinuz about 14 MiB plus initrd.img about 62 MiB',
  ),
  kernelUncompressedMiB: param(42, 'recalled', 'vmlinux built from the Ubuntu generic config, about 42 MiB'),
  kernelInitMcycles: assumed(
    1100,
    'guest kernel init of a generic distribution kernel takes about 0.45 s at 2.4 GHz before device probing',
  ),
  bootServices: param(
    38,
    'recalled',
    'systemd-analyze blame on an Ubuntu server cloud image lists about 38 units on the critical boot path',
  ),
  serviceMcycles: assumed(
    75,
    'systemd-analyze on a 2.4 GHz guest: cloud-init and friends total about 1.2 s of CPU over 38 units',
  ),
  guestOsMemoryMiB: param(220, 'recalled', 'free -m on an idle Ubuntu server guest after boot: about 220 MiB used'),
};

export const alpine322: OsImage = {
  id: 'alpine-3.22',
  description: 'Alpine Linux 3.22: container base image, or the virt flavour with OpenRC as a VM guest',
  containerCompressedMiB: read(3.8 / 1.048576, 'img-alpine-compressed (3.8 MB)'),
  containerUnpackedMiB: read(8.3 / 1.048576, 'img-alpine-disk (8.3 MB)'),
  containerLayers: read(1, 'docker-library/repo-info repos/alpine/remote/3.22.md lists one layer'),
  vmInstalledMiB: param(180, 'recalled', 'alpine-virt installed to disk with linux-virt: about 180 MiB'),
  kernelCompressedMiB: param(7 + 9, 'recalled', 'linux-virt vmlinuz about 7 MiB plus initramfs-virt about 9 MiB'),
  kernelUncompressedMiB: param(22, 'recalled', 'vmlinux built from the linux-virt config, about 22 MiB'),
  kernelInitMcycles: assumed(
    600,
    'a virt-only kernel config has fewer initcalls than a generic one: about half its init work',
  ),
  bootServices: param(9, 'recalled', 'rc-status on alpine-virt: about 9 services in the default and boot runlevels'),
  serviceMcycles: assumed(30, 'OpenRC services are small shell-driven daemons'),
  guestOsMemoryMiB: param(45, 'recalled', 'free -m on an idle alpine-virt guest: about 45 MiB used'),
};

export const debian13: OsImage = {
  id: 'debian-13',
  description: 'Debian 13: container base image, or a generic cloud image with systemd',
  containerCompressedMiB: assumed(48, 'img-debian-disk scaled by the compression ratio of img-ubuntu (29.8 / 78.16)'),
  containerUnpackedMiB: read(119.92 / 1.048576, 'img-debian-disk (119.92 MB)'),
  containerLayers: read(1, 'docker-library/repo-info repos/debian/local/13.md lists one layer'),
  vmInstalledMiB: param(1400, 'recalled', 'df on a fresh Debian genericcloud instance: about 1.4 GiB used'),
  kernelCompressedMiB: param(9 + 30, 'recalled', 'Debian cloud kernel vmlinuz about 9 MiB plus initrd about 30 MiB'),
  kernelUncompressedMiB: param(30, 'recalled', 'vmlinux built from the Debian cloud config, about 30 MiB'),
  kernelInitMcycles: assumed(
    800,
    'the cloud flavour drops most hardware drivers, so init work sits between generic and virt kernels',
  ),
  bootServices: param(25, 'recalled', 'systemd-analyze blame on a Debian genericcloud image: about 25 units'),
  serviceMcycles: assumed(60, 'fewer, lighter units than the Ubuntu image'),
  guestOsMemoryMiB: param(130, 'recalled', 'free -m on an idle Debian cloud guest: about 130 MiB used'),
};

/**
 * The guest of the Firecracker specification's boot figure: Firecracker's own minimal kernel
 * config with no modules or initramfs, and a minimal root file system whose /sbin/init is the
 * workload. It is a VM guest first; its container figures describe the same root file system.
 */
export const firecrackerMinimal: OsImage = {
  id: 'firecracker-minimal',
  description:
    "Firecracker's minimal guest: its CI kernel config, no initramfs, a root file system with just the workload",
  containerCompressedMiB: assumed(1, 'a busybox-sized root file system, compressed'),
  containerUnpackedMiB: assumed(2, 'a busybox-sized root file system'),
  containerLayers: assumed(1, 'one layer'),
  vmInstalledMiB: assumed(50, 'a minimal ext4 root file system image'),
  kernelCompressedMiB: assumed(5, 'bzImage of a minimal virtio-only config, no initramfs'),
  kernelUncompressedMiB: assumed(20, 'vmlinux of a minimal virtio-only config'),
  kernelInitMcycles: derived(
    ((125 - (20 * 1.048576 * 1.02) / 2 - 87.63 - 3 * 2) / 1.02322) * 2.5,
    "fc-boot 125 ms from InstanceStart to /sbin/init on fc-m5d-metal, less the 10.7 ms vmlinux read, Firecracker's 87.6 ms of guest waits (its guestWaitMs) and 3 x 2 ms virtio-mmio probes, / 1.0232 for the exits KVM adds to guest compute, x 2.5 GHz",
  ),
  bootServices: assumed(0, 'no init system: /sbin/init is the workload'),
  serviceMcycles: assumed(0, 'no services'),
  guestOsMemoryMiB: assumed(20, 'a minimal kernel and one process, within the 128 MiB guest of the specification'),
};

/**
 * The guest of the Firecracker NSDI'20 boot figures: a minimal kernel (vmlinux for the
 * microVMs, bzImage for QEMU) and a LinuxKit root file system whose init writes the exit port, so
 * the VMM exits once the guest reaches init.
 */
export const nsdi20LinuxKit: OsImage = {
  id: 'nsdi20-linuxkit',
  description: "The NSDI'20 boot guest: a minimal kernel and a LinuxKit root whose init ends the VM at once",
  containerCompressedMiB: assumed(2, 'a LinuxKit root of init and a few static binaries, compressed'),
  containerUnpackedMiB: assumed(5, 'a LinuxKit root of init and a few static binaries'),
  containerLayers: assumed(1, 'one layer'),
  vmInstalledMiB: assumed(50, 'the boot-time disk image, a small ext4 file system'),
  kernelCompressedMiB: assumed(6, 'bzImage of a minimal virtio-only config with PCI, no initramfs'),
  kernelUncompressedMiB: assumed(20, 'vmlinux of a minimal virtio-only config, as firecracker-minimal'),
  kernelInitMcycles: assumed(
    40,
    'a minimal kernel without modules or initramfs initialises in about 16 ms at 2.5 GHz before device probing; the VMMs differ in what probing costs (their deviceProbe parameters)',
  ),
  bootServices: assumed(0, 'no init system: init writes the exit port'),
  serviceMcycles: assumed(0, 'no services'),
  guestOsMemoryMiB: assumed(20, 'a minimal kernel and one process'),
  bootIoRequests: assumed(
    40,
    'mounting the ext4 root and reading init and its libraries: a few dozen block requests at boot',
  ),
};

/**
 * A unikernel: the application linked with just the library OS it needs (Unikraft's hello world).
 * No init, no services, no general-purpose drivers; the kernel is a few hundred KiB that the VMM
 * loads as an ELF, and the guest reaches main() in microseconds.
 */
export const unikraftHelloworld: OsImage = {
  id: 'unikraft-helloworld',
  description: "A unikernel: Unikraft's hello world, one ELF image with no init, services or general-purpose drivers",
  containerCompressedMiB: assumed(0.2, 'the unikernel image itself, compressed'),
  containerUnpackedMiB: assumed(0.4, 'the unikernel image itself'),
  containerLayers: assumed(1, 'one layer'),
  vmInstalledMiB: assumed(0.5, 'the unikernel in a small boot disk image; it has no root file system'),
  kernelCompressedMiB: assumed(0.4, 'unikernel images are not compressed: the ELF image, a few hundred KiB'),
  kernelUncompressedMiB: assumed(0.4, 'the ELF image, a few hundred KiB'),
  kernelInitMcycles: derived(
    0.055 * 3.6,
    'uk-eurosys21-boot-qemu: guest part 0.055 ms, from the first guest instruction to main(), at 3.6 GHz',
  ),
  bootServices: assumed(0, 'no init system'),
  serviceMcycles: assumed(0, 'no services'),
  guestOsMemoryMiB: assumed(1, 'the study ran it in 2 MiB of guest memory'),
  bootIoRequests: assumed(0, 'no file system: the image is in memory from the start'),
  probesDevices: assumed(0, 'no general-purpose drivers: it probes none of the devices the VMM offers'),
};

export const BUILTIN_IMAGES: readonly OsImage[] = [
  ubuntu2404,
  alpine322,
  debian13,
  firecrackerMinimal,
  nsdi20LinuxKit,
  unikraftHelloworld,
];

export function findImage(id: string): OsImage | undefined {
  return BUILTIN_IMAGES.find((image) => image.id === id);
}

export function imageIds(): string[] {
  return BUILTIN_IMAGES.map((image) => image.id);
}
