import { existsSync } from 'node:fs';
import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cell, EngineKind, QemuFirmware, QemuMachine } from '../../types.js';
import { type Availability, combineAvailability, missing, present, toolAvailability } from '../availability.js';
import { defineRealDriver, idleProcess } from '../define-driver.js';
import type { DriverSession, RealDriver, RunningServer, ServerLaunch, SessionContext } from '../driver-spec.js';
import { buildServerInitramfs } from '../guest/app-initramfs.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { buildInitramfs, type Initramfs } from '../guest/initramfs.js';
import { CLOUD_KERNEL_PACKAGE, type KernelImage, locateKernel, obtainKernel } from '../guest/kernel.js';
import { CHECKPOINT_MARKER, parseGuestDmesg, READY_MARKER, RESTORE_FW_CFG, WORKLOAD_SIZES } from '../guest/scripts.js';
import { type Accelerator, probeAccelerator } from '../host/accelerator.js';
import { qmpCommands } from '../host/qmp.js';
import { freePort, startServerProcess } from '../host/server.js';
import { findTool, runCommand, runCommandSync, startInstance } from '../host/spawn.js';
import type { LaunchTiming } from '../measure/launcher.js';
import { workloadTimeoutMs } from '../options.js';

/**
 * qemu-system-x86_64 booting a distribution kernel directly (-kernel, no disk image, no boot
 * loader) into an initramfs built from busybox-static. KVM when a probe shows it works, TCG
 * otherwise; the modeled counterpart follows: kvm for KVM, qemu-tcg for emulation. The machine
 * type (pc, q35, microvm) and its firmware (SeaBIOS, qboot) are options; qemu-microvm is this
 * driver with the machine fixed to microvm.
 */

export const QEMU_PACKAGE = 'qemu-system-x86';
/** How long fetching the distribution kernel may take. */
const KERNEL_DOWNLOAD_TIMEOUT_MS = 300_000;

let chosen: Accelerator | undefined;

/** The accelerator the last session chose, or the best guess before any has run. */
export function currentAccelerator(): 'kvm' | 'tcg' {
  if (chosen) return chosen.id;
  // Before the probe has run, the best guess: no /dev/kvm means emulation for certain.
  return existsSync('/dev/kvm') ? 'kvm' : 'tcg';
}

export async function qemuAvailability(cell?: Cell): Promise<Availability> {
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

/**
 * Firmware images by machine: where Debian's qemu-system-data (qboot) and seabios packages put
 * them. SeaBIOS on pc and q35 is QEMU's built-in default (bios-256k.bin), so it needs no -bios;
 * on microvm, Debian's seabios package ships a build for that machine.
 */
const FIRMWARE_FILES: Readonly<Record<QemuMachine, Readonly<Record<'seabios' | 'qboot', readonly string[]>>>> = {
  pc: { seabios: [], qboot: ['/usr/share/qemu/qboot.rom'] },
  q35: { seabios: [], qboot: ['/usr/share/qemu/qboot.rom'] },
  microvm: {
    seabios: ['/usr/share/seabios/bios-microvm.bin'],
    qboot: ['/usr/share/qemu/qboot.rom', '/usr/share/qemu/bios-microvm.bin'],
  },
};

/** The -bios arguments for a machine and firmware, or why QEMU cannot boot that way. */
export function firmwareArgs(machine: QemuMachine, firmware: QemuFirmware): { args: string[] } | { reason: string } {
  if (firmware === 'none')
    return {
      reason:
        "firmware none: QEMU's x86 machines (pc, q35, microvm) start the vCPU at a firmware's reset vector and refuse to start without one (-bios), so direct kernel boot without firmware, as Firecracker does, is not possible here; qboot is the smallest firmware (firmware: qboot)",
    };
  const candidates = FIRMWARE_FILES[machine][firmware];
  if (candidates.length === 0) return { args: [] };
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    return {
      reason: `firmware ${firmware} for -M ${machine}: none of ${candidates.join(', ')} exists (Debian packages: ${firmware === 'qboot' ? 'qemu-system-data' : 'seabios'})`,
    };
  return { args: ['-bios', found] };
}

/**
 * The host's TSC rate in kHz, from /proc/cpuinfo. A microvm guest has no PIT or HPET to
 * calibrate its TSC against quickly; under TCG its calibration loop does not finish, so the
 * kernel is told the rate (tsc_early_khz). Under TCG the guest's TSC is the host's.
 */
export async function hostTscKhz(): Promise<number | undefined> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const mhz = cpuinfo.match(/^cpu MHz\s*:\s*([\d.]+)/m);
  return mhz ? Math.round(Number(mhz[1]) * 1000) : undefined;
}

/**
 * The guest's kernel log dates the start of its clock (kernel entry, after decompression) and
 * /init on the guest clock; the readiness line, seen on the host and logged by the guest, anchors
 * that clock to the host's. Milestones are ms from spawn.
 */
export function guestPhases(timing: LaunchTiming): Record<string, number> | undefined {
  const stamps = parseGuestDmesg(timing.lines);
  if (stamps.initStartS === undefined || stamps.readyS === undefined) return undefined;
  const kernelEntry = timing.readyMs - stamps.readyS * 1000;
  const init = kernelEntry + stamps.initStartS * 1000;
  if (kernelEntry < 0 || init > timing.readyMs) return undefined;
  return { kernel_entry: kernelEntry, init };
}

/** Opens a QEMU session; `machine` fixes the machine type (qemu-microvm), else the options choose. */
export async function openQemu(
  { busybox, workDir, options, cell, notes }: SessionContext,
  fixedMachine?: QemuMachine,
): Promise<DriverSession> {
  if (fixedMachine && options.machine && options.machine !== fixedMachine)
    throw new Error(`this driver always boots -M ${fixedMachine}; machine: ${options.machine} is the qemu driver's`);
  const machineType: QemuMachine = fixedMachine ?? options.machine ?? 'pc';
  const firmware: QemuFirmware = options.firmware ?? (machineType === 'microvm' ? 'qboot' : 'seabios');
  const bios = firmwareArgs(machineType, firmware);
  if ('reason' in bios) throw new Error(bios.reason);
  const qemu = findTool('qemu-system-x86_64')!;
  const probed =
    options.accelerator === 'tcg'
      ? { id: 'tcg' as const, reason: 'the scenario asks for TCG' }
      : await probeAccelerator(qemu);
  if (options.accelerator === 'kvm' && probed.id !== 'kvm')
    throw new Error(`the scenario asks for KVM, but ${probed.reason}`);
  chosen = probed;
  notes.push(`accelerator: ${probed.id.toUpperCase()} (${probed.reason})`);
  notes.push(
    `machine: -M ${machineType}, firmware ${firmware}${bios.args[1] ? ` (${bios.args[1]})` : " (QEMU's default)"}`,
  );
  const kernel = await obtainKernel(options.kernel, KERNEL_DOWNLOAD_TIMEOUT_MS);
  notes.push(`kernel: ${kernel.release ?? 'unknown release'} (${kernel.origin}: ${kernel.path})`);
  const microvm = machineType === 'microvm';
  const restoreMode = options.startMode === 'restore';
  const buildImage = (): Promise<Initramfs> =>
    buildInitramfs(busybox, kernel, { transport: microvm ? 'mmio' : 'pci', restore: restoreMode });
  let initramfs = await buildImage();
  if (!initramfs.hasDisk) notes.push(`no guest disk: ${initramfs.diskReason}`);
  const initrdPath = join(workDir, 'initramfs.cpio.gz');
  await writeFile(initrdPath, initramfs.data);
  let tscOption = '';
  if (microvm && probed.id === 'tcg') {
    const khz = await hostTscKhz();
    if (!khz)
      throw new Error('microvm under TCG needs the host TSC rate (tsc_early_khz), and /proc/cpuinfo gives none');
    tscOption = ` tsc_early_khz=${khz}`;
    notes.push(`microvm under TCG: tsc_early_khz=${khz} on the kernel command line (the host's rate, /proc/cpuinfo)`);
  }
  const { memoryMiB, vcpus } = cell.options;
  const machine = [
    qemu,
    '-M',
    machineType,
    '-accel',
    probed.id,
    ...(probed.id === 'kvm' ? ['-cpu', 'host'] : []),
    ...bios.args,
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
    `console=ttyS0 quiet panic=-1${tscOption} vbmode=${mode}${extra}`,
  ];
  /** A virtio disk: on the PCI bus of pc and q35, on an MMIO slot of microvm. */
  const disk = (id: string, file: string, format: 'raw' | 'qcow2', attached: boolean): string[] => [
    '-drive',
    `id=${id},file=${escapeOption(file)},format=${format},if=none,cache=writeback`,
    ...(attached ? ['-device', `${microvm ? 'virtio-blk-device' : 'virtio-blk-pci'},drive=${id}`] : []),
  ];
  let disks = 0;
  let servers = 0;
  const restore = restoreMode ? qemuRestore(machine, append('restore'), workDir, options.timeoutMs) : undefined;
  return {
    boot: { argv: [...machine, ...append('boot')], marker: READY_MARKER },
    bootPhases: guestPhases,
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
        drive.push(...disk(`work${disks}`, image, 'raw', true));
      }
      const result = await runCommand([...machine, ...drive, ...append('work', ` vbreps=${reps}`)], {
        timeoutMs: workloadTimeoutMs(options, reps),
      });
      return result.stdout.split('\n');
    },
    // The VM's image is its initramfs: the kernel is a host file, like a container runtime's binary.
    prepareImage: async () => {
      initramfs = await buildImage();
      await writeFile(initrdPath, initramfs.data);
    },
    discardImage: () => rm(initrdPath, { force: true }),
    ...(restore ? { restore } : {}),
    // The server's guest reaches its network card over PCI; microvm's virtio-mmio has none here.
    ...(microvm
      ? {}
      : {
          startServer: (launch: ServerLaunch) =>
            startQemuServer(launch, {
              machine,
              busybox,
              kernel,
              initrdPath: join(workDir, `server-${servers++}.cpio.gz`),
              timeoutMs: options.timeoutMs,
            }),
        }),
  };

  /**
   * savevm/loadvm on a qcow2 file attached to no device: QEMU writes the guest's RAM and device
   * state into it as an internal snapshot. The checkpointed guest polls an fw_cfg entry that the
   * restoring command line changes, so a restored copy notices at once and prints the marker.
   */
  function qemuRestore(
    base: readonly string[],
    appendArgs: readonly string[],
    dir: string,
    timeoutMs: number,
  ): NonNullable<DriverSession['restore']> {
    const state = join(dir, 'state.qcow2');
    const monitor = join(dir, 'qmp.sock');
    const flag = (value: string): string[] => ['-fw_cfg', `name=${RESTORE_FW_CFG.name},string=${value}`];
    const withState = [...base, ...disk('vbstate', state, 'qcow2', false), ...appendArgs];
    return {
      checkpoint: async () => {
        const qemuImg = findTool('qemu-img');
        if (!qemuImg) throw new Error('start mode restore needs qemu-img (Debian package qemu-utils)');
        await rm(state, { force: true });
        await runCommand([qemuImg, 'create', '-q', '-f', 'qcow2', state, `${memoryMiB * 2}M`], { timeoutMs });
        const running = await startInstance(
          [...withState, ...flag(RESTORE_FW_CFG.saved), '-qmp', `unix:${escapeOption(monitor)},server=on,wait=off`],
          { marker: CHECKPOINT_MARKER, timeoutMs },
        );
        try {
          const seen = running.lines.find((line) => line.includes(CHECKPOINT_MARKER))!;
          if (seen.includes('unavailable')) throw new Error(`the guest cannot watch for its restore: ${seen}`);
          const replies = await qmpCommands(
            monitor,
            [
              { execute: 'stop' },
              { execute: 'human-monitor-command', arguments: { 'command-line': 'savevm vbstart' } },
              { execute: 'quit' },
            ],
            timeoutMs,
          );
          const saved = replies[1];
          if (typeof saved === 'string' && saved.trim() !== '') throw new Error(`savevm: ${saved.trim()}`);
          await running.waitExit(timeoutMs);
        } finally {
          running.kill();
          await rm(monitor, { force: true });
        }
      },
      boot: {
        argv: [...withState, ...flag(RESTORE_FW_CFG.restored), '-loadvm', 'vbstart'],
        marker: READY_MARKER,
      },
    };
  }
}

/** The qemu driver: -M pc by default, or the scenario's machine and firmware. */
export function defineQemuDriver(id: string, title: string, fixedMachine?: QemuMachine): RealDriver {
  return defineRealDriver({
    id,
    title,
    // microvm is a microVM machine whatever runs it; pc and q35 are full machines, hosted under TCG.
    kind: (): EngineKind =>
      fixedMachine === 'microvm' ? 'microvm' : currentAccelerator() === 'kvm' ? 'type1' : 'type2',
    modeledCounterpart: () =>
      fixedMachine === 'microvm' ? 'qemu-microvm' : currentAccelerator() === 'kvm' ? 'kvm' : 'qemu-tcg',
    defaultTimeoutMs: 120_000,
    requires: [QEMU_PACKAGE, BUSYBOX_PACKAGE, CLOUD_KERNEL_PACKAGE],
    availability: qemuAvailability,
    open: (context) => openQemu(context, fixedMachine),
  });
}

export const qemuDriver = defineQemuDriver('qemu', 'QEMU (direct kernel boot, busybox initramfs)');

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
