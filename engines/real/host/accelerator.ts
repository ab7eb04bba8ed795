import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError, runCommand } from './spawn.js';
import { makeTempDir } from './tempdir.js';

export type AcceleratorId = 'kvm' | 'tcg';

export interface Accelerator {
  readonly id: AcceleratorId;
  /** Why this accelerator: the probe's outcome in words. */
  readonly reason: string;
}

/**
 * A 64 KiB firmware image whose reset vector writes 0x2a to an isa-debug-exit port, so QEMU
 * exits with status (0x2a << 1) | 1 = 85 as soon as a vCPU has run its first instructions.
 */
function probeFirmware(): Buffer {
  const rom = Buffer.alloc(65536, 0xf4); // hlt everywhere else
  // mov al, 0x2a ; out 0xf4, al ; hlt ; jmp $
  Buffer.from([0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe]).copy(rom, 0xfff0);
  return rom;
}
const PROBE_EXIT_CODE = 85;

/** How long the first vCPU run may take before KVM is declared unusable. */
export const KVM_PROBE_TIMEOUT_MS = 10_000;

let cached: Promise<Accelerator> | undefined;

/**
 * KVM if /dev/kvm opens and a guest actually runs under it within a timeout, else TCG. The
 * timeout matters: under nested virtualization /dev/kvm can exist and then hang forever on
 * the first vCPU run. The outcome is cached for the life of the process.
 */
export function probeAccelerator(qemu: string, timeoutMs = KVM_PROBE_TIMEOUT_MS): Promise<Accelerator> {
  cached ??= runProbe(qemu, timeoutMs);
  return cached;
}

async function runProbe(qemu: string, timeoutMs: number): Promise<Accelerator> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      id: 'tcg',
      reason:
        code === 'ENOENT'
          ? 'no /dev/kvm: the CPU exposes no VT-x/AMD-V to this host, so QEMU emulates with TCG'
          : `/dev/kvm is not usable (${code}): add the user to the kvm group; QEMU emulates with TCG`,
    };
  }
  const dir = await makeTempDir('kvm-probe');
  try {
    const firmware = join(dir.path, 'probe.rom');
    await writeFile(firmware, probeFirmware());
    const argv = [
      qemu,
      '-M',
      'pc',
      '-accel',
      'kvm',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-bios',
      firmware,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ];
    const started = performance.now();
    const result = await runCommand(argv, { timeoutMs, allowFailure: true });
    if (result.code === PROBE_EXIT_CODE) {
      return { id: 'kvm', reason: `KVM ran a probe guest in ${Math.round(performance.now() - started)} ms` };
    }
    return {
      id: 'tcg',
      reason: `KVM probe failed (exit ${result.code ?? result.signal}: ${result.stderr.trim().split('\n')[0] ?? ''}); QEMU emulates with TCG`,
    };
  } catch (error) {
    if (error instanceof CommandError && error.message.includes('timed out')) {
      return {
        id: 'tcg',
        reason: `KVM probe hung for ${timeoutMs} ms on the first vCPU run (nested virtualization?); QEMU emulates with TCG`,
      };
    }
    return { id: 'tcg', reason: `KVM probe could not run (${(error as Error).message}); QEMU emulates with TCG` };
  } finally {
    dir.release();
  }
}
