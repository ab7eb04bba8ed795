import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { type ArchiveEntry, cpioArchive } from './archive.js';
import { builtIn, type KernelImage, moduleClosure } from './kernel.js';
import { VM_DISK_MODULES, VM_INIT_SCRIPT, VM_MMIO_DISK_MODULES, VM_RESTORE_MODULES, WORK_SCRIPT } from './scripts.js';

export interface Initramfs {
  /** gzip-compressed newc cpio, as the kernel unpacks it. */
  readonly data: Buffer;
  /** Whether the guest can reach its virtio disk (built in, or modules packed alongside). */
  readonly hasDisk: boolean;
  /** Why the guest has no disk, when it has none. */
  readonly diskReason?: string;
}

/**
 * The VM's whole userspace: busybox-static, /init and the workload script, plus the kernel
 * modules for a virtio disk when the kernel has them as modules. Device nodes are in the
 * archive itself, so /init can print to the console and the kernel log before mounting anything.
 */
export interface InitramfsOptions {
  /** How the VM's virtio devices are attached: PCI (pc, q35) or MMIO (microvm). */
  readonly transport?: 'pci' | 'mmio';
  /** Pack what a checkpointed guest needs to notice it was restored. */
  readonly restore?: boolean;
}

export async function buildInitramfs(
  busyboxPath: string,
  kernel: KernelImage,
  { transport = 'pci', restore = false }: InitramfsOptions = {},
): Promise<Initramfs> {
  const entries: ArchiveEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'vb', 'lib', 'lib/modules'].map((path) => ({ type: 'dir', path }) as const),
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'char', path: 'dev/kmsg', major: 1, minor: 11 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'char', path: 'dev/zero', major: 1, minor: 5, mode: 0o666 },
    { type: 'file', path: 'bin/busybox', data: await readFile(busyboxPath), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'init', data: Buffer.from(VM_INIT_SCRIPT), mode: 0o755 },
    { type: 'file', path: 'vb/work.sh', data: Buffer.from(WORK_SCRIPT), mode: 0o755 },
  ];
  let hasDisk = true;
  let diskReason: string | undefined;
  let modules: string[] = [];
  const virtioBlkBuiltIn = await builtIn(kernel, 'CONFIG_VIRTIO_BLK');
  const virtioTransportBuiltIn = await builtIn(
    kernel,
    transport === 'mmio' ? 'CONFIG_VIRTIO_MMIO' : 'CONFIG_VIRTIO_PCI',
  );
  if (!(virtioBlkBuiltIn && virtioTransportBuiltIn)) {
    if (kernel.modulesDir) {
      try {
        const closure = await moduleClosure(
          kernel.modulesDir,
          transport === 'mmio' ? VM_MMIO_DISK_MODULES : VM_DISK_MODULES,
        );
        for (const module of closure) {
          entries.push({ type: 'file', path: `lib/modules/${module.name}.ko`, data: await readFile(module.path) });
        }
        modules = closure.map((m) => m.name);
      } catch (error) {
        hasDisk = virtioBlkBuiltIn === true && virtioTransportBuiltIn === true;
        diskReason = `virtio disk modules unavailable: ${(error as Error).message}`;
      }
    } else if (virtioBlkBuiltIn === undefined) {
      // No config and no modules: assume a kernel built for VMs has virtio built in, and let
      // the guest report whether /dev/vda appears.
      diskReason = undefined;
    } else {
      hasDisk = false;
      diskReason = `kernel ${kernel.release ?? kernel.path} builds virtio-blk as a module and no /lib/modules/${kernel.release} was found`;
    }
  }
  entries.push({ type: 'file', path: 'vb/modules', data: Buffer.from(`${modules.join('\n')}\n`) });
  const restoreModules: string[] = [];
  if (restore && (await builtIn(kernel, 'CONFIG_FW_CFG_SYSFS')) !== true && kernel.modulesDir) {
    for (const module of await moduleClosure(kernel.modulesDir, VM_RESTORE_MODULES)) {
      if (modules.includes(module.name)) continue;
      entries.push({ type: 'file', path: `lib/modules/${module.name}.ko`, data: await readFile(module.path) });
      restoreModules.push(module.name);
    }
  }
  entries.push({ type: 'file', path: 'vb/restore-modules', data: Buffer.from(`${restoreModules.join('\n')}\n`) });
  return { data: gzipSync(cpioArchive(entries), { level: 6 }), hasDisk, diskReason };
}
