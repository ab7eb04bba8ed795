import { existsSync } from 'node:fs';
import { open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cell, EngineKind } from '../../types.js';
import { type Availability, combineAvailability, missing, present, toolAvailability } from '../availability.js';
import { defineRealDriver, idleProcess } from '../define-driver.js';
import type { RunningServer, ServerLaunch } from '../driver-spec.js';
import { buildServerInitramfs } from '../guest/app-initramfs.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { buildInitramfs } from '../guest/initramfs.js';
import { CLOUD_KERNEL_PACKAGE, type KernelImage, locateKernel, obtainKernel } from '../guest/kernel.js';
import { parseGuestDmesg, READY_MARKER, WORKLOAD_SIZES } from '../guest/scripts.js';
import { type Accelerator, probeAccelerator } from '../host/accelerator.js';
import { freePort, startServerProcess } from '../host/server.js';
import { findTool, runCommand, runCommandSync, startInstance } from '../host/spawn.js';
import type { LaunchTiming } from '../measure/launcher.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * qemu-system-x86_64 booting a distribution kernel directly (-kernel, no disk image, no boot
 * loader) into an initramfs built from busybox-static. KVM when a probe shows it works, TCG
 * otherwise; the modeled counterpart follows: kvm for KVM, qemu-tcg for emulation.
 */

export const QEMU_PACKAGE = 'qemu-system-x86';
/** How long fetching the distribution kernel may take. */
const KERNEL_DOWNLOAD_TIMEOUT_MS = 300_000;

let chosen: Accelerator | undefined;

function currentAccelerator(): 'kvm' | 'tcg' {
  if (chosen) return chosen.id;
  // Before the probe has run, the best guess: no /dev/kvm means emulation for certain.
  return existsSync('/dev/kvm') ? 'kvm' : 'tcg';
}

async function availability(cell?: Cell): Promise<Availability> {
  const parts = await toolAvailability('qemu-system-x86_64', [QEMU_PACKAGE], async (qemu) => {
    const version = runCommandSync([qemu, '--version'], { timeoutMs: 10_000 }).stdout.split('\n')[0]?.trim() ?? '';
    const accelerator = await probeAccelerator(qemu);
    return present(`${version} (${qemu})`, `accelerator: ${accelerator.id.toUpperCase()} (${accelerator.reason})`);
  });
  const kernel = await locateKernel(cell?.options.real?.kernel);
  if (kernel.kernel)
    parts.push(present(`kernel ${kernel.kernel.release ?? '?'} (${kernel.kernel.origin}: ${kernel.kernel.path})`));
  else if (kernel.downloadable) parts.push(present(`kernel: ${kernel.reason}`));
  else parts.push(missing(kernel.reason ?? 'no guest kernel', [CLOUD_KERNEL_PACKAGE]));
  return combineAvailability(...parts);
}

function escapeOption(value: string): string {
  return value.replaceAll(',', ',,'); // QEMU's option syntax doubles a literal comma
}

export const qemuDriver = defineRealDriver({
  id: 'qemu',
  title: 'QEMU (direct kernel boot, busybox initramfs)',
  kind: (): EngineKind => (currentAccelerator() === 'kvm' ? 'type1' : 'type2'),
  modeledCounterpart: () => (currentAccelerator() === 'kvm' ? 'kvm' : 'qemu-tcg'),
  defaultTimeoutMs: 120_000,
  requires: [QEMU_PACKAGE, BUSYBOX_PACKAGE, CLOUD_KERNEL_PACKAGE],
  availability,
  open: async ({ busybox, workDir, options, cell, notes }) => {
    const qemu = findTool('qemu-system-x86_64')!;
    const probed =
      options.accelerator === 'tcg'
        ? { id: 'tcg' as const, reason: 'the scenario asks for TCG' }
        : await probeAccelerator(qemu);
    if (options.accelerator === 'kvm' && probed.id !== 'kvm')
      throw new Error(`the scenario asks for KVM, but ${probed.reason}`);
    chosen = probed;
    notes.push(`accelerator: ${probed.id.toUpperCase()} (${probed.reason})`);
    const kernel = await obtainKernel(options.kernel, KERNEL_DOWNLOAD_TIMEOUT_MS);
    notes.push(`kernel: ${kernel.release ?? 'unknown release'} (${kernel.origin}: ${kernel.path})`);
    const initramfs = await buildInitramfs(busybox, kernel);
    if (!initramfs.hasDisk) notes.push(`no guest disk: ${initramfs.diskReason}`);
    const initrdPath = join(workDir, 'initramfs.cpio.gz');
    await writeFile(initrdPath, initramfs.data);
    const { memoryMiB, vcpus } = cell.options;
    const machine = [
      qemu,
      '-M',
      'pc',
      '-accel',
      probed.id,
      ...(probed.id === 'kvm' ? ['-cpu', 'host'] : []),
      '-m',
      String(memoryMiB),
      '-smp',
      String(vcpus),
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-serial',
      'stdio',
      '-no-reboot',
      '-kernel',
      kernel.path,
      '-initrd',
      initrdPath,
    ];
    const append = (mode: string, extra = ''): string[] => [
      '-append',
      `console=ttyS0 quiet panic=-1 vbmode=${mode}${extra}`,
    ];
    let disks = 0;
    let servers = 0;
    return {
      boot: { argv: [...machine, ...append('boot')], marker: READY_MARKER },
      bootPhases: (timing: LaunchTiming) => {
        // The guest's kernel log dates /init and the marker on the guest clock, which starts with
        // the kernel; the rest of the host-side total is QEMU, firmware and kernel loading.
        const stamps = parseGuestDmesg(timing.lines);
        if (stamps.initStartS === undefined || stamps.readyS === undefined) return undefined;
        const kernelMs = stamps.initStartS * 1000;
        const userspaceMs = (stamps.readyS - stamps.initStartS) * 1000;
        const vmmMs = timing.readyMs - stamps.readyS * 1000;
        if (vmmMs < 0 || userspaceMs < 0) return undefined;
        return { vmm: vmmMs, kernel: kernelMs, userspace: userspaceMs };
      },
      images: async () => {
        const kernelBytes = (await stat(kernel.path)).size;
        return {
          onDiskBytes: kernelBytes + initramfs.data.length,
          description: `qemu: kernel ${(kernelBytes / 2 ** 20).toFixed(2)} MiB (${kernel.path}) plus initramfs ${(initramfs.data.length / 2 ** 20).toFixed(2)} MiB`,
        };
      },
      // Guest RAM is reserved up front; QEMU itself adds its device models and code.
      idleEstimateMiB: memoryMiB + 48,
      isVm: true,
      startIdle: async () =>
        idleProcess(
          await startInstance([...machine, ...append('idle')], { marker: READY_MARKER, timeoutMs: options.timeoutMs }),
        ),
      runWorkload: async (reps) => {
        const drive: string[] = [];
        if (initramfs.hasDisk) {
          const image = join(workDir, `disk-${disks++}.img`);
          const file = await open(image, 'w');
          await file.truncate((WORKLOAD_SIZES.diskMiB + 16) * 2 ** 20); // sparse: only written blocks take space
          await file.close();
          drive.push('-drive', `file=${escapeOption(image)},format=raw,if=virtio,cache=writeback`);
        }
        const result = await runCommand([...machine, ...drive, ...append('work', ` vbreps=${reps}`)], {
          timeoutMs: workloadTimeoutMs(options, reps),
        });
        return result.stdout.split('\n');
      },
      startServer: (launch) =>
        startQemuServer(launch, {
          machine,
          busybox,
          kernel,
          initrdPath: join(workDir, `server-${servers++}.cpio.gz`),
          timeoutMs: options.timeoutMs,
        }),
    };
  },
});

/**
 * An application server in a fresh VM booted from its own initramfs (the server, its libraries
 * and files), on QEMU's user-mode network with the server's port forwarded from a free port on
 * the host's loopback: the realistic network for an emulated guest (no tap device, no root
 * needed). The cell's network mode does not apply: the guest always has its own network stack.
 */
async function startQemuServer(
  launch: ServerLaunch,
  vm: {
    machine: readonly string[];
    busybox: string;
    kernel: KernelImage;
    initrdPath: string;
    timeoutMs: number;
  },
): Promise<RunningServer> {
  await writeFile(vm.initrdPath, await buildServerInitramfs({ ...launch, busybox: vm.busybox, kernel: vm.kernel }));
  const hostPort = await freePort();
  const argv = vm.machine.map((arg, i) => (vm.machine[i - 1] === '-initrd' ? vm.initrdPath : arg));
  const server = await startServerProcess(
    [
      ...argv,
      '-netdev',
      `user,id=net0,hostfwd=tcp:127.0.0.1:${hostPort}-:${launch.port}`,
      '-device',
      'virtio-net-pci,netdev=net0',
      '-append',
      'console=ttyS0 quiet panic=-1',
    ],
    vm.timeoutMs,
  );
  return { host: '127.0.0.1', port: hostPort, pids: async () => [server.pid], stop: async () => server.kill() };
}
