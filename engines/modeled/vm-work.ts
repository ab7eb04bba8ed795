import { assumed } from '../param.js';
import type { Param } from '../types.js';

/**
 * The work parameters of a VM engine whose start-up is still given as wall-clock time (its *Ms
 * boot parameters, recalled or assumed as a whole): no work is added on top, so its figures stay
 * what they were. An engine moves to work by setting these and zeroing its *Ms figures.
 */
export function wallClockOnly(kernel: 'bzImage' | 'vmlinux'): {
  readonly vmmStartMcycles: Param;
  readonly controlSetupMcycles: Param;
  readonly controlCalls: Param;
  readonly controlCallMcycles: Param;
  readonly firmwareMcycles: Param;
  readonly firmwareExits: Param;
  readonly bootloaderMcycles: Param;
  readonly exitKcycles: Param;
  readonly deviceProbeExits: Param;
  readonly decompressesKernel: Param;
  readonly wakeupsPerIo: Param;
  readonly nicSetupMcycles: Param;
  readonly guestWaitMs: Param;
} {
  const inWallClock =
    'included in the wall-clock *Ms figures of this engine, which were recalled or assumed as a whole';
  return {
    vmmStartMcycles: assumed(0, inWallClock),
    controlSetupMcycles: assumed(0, inWallClock),
    controlCalls: assumed(0, inWallClock),
    controlCallMcycles: assumed(0, inWallClock),
    firmwareMcycles: assumed(0, inWallClock),
    firmwareExits: assumed(0, inWallClock),
    bootloaderMcycles: assumed(0, inWallClock),
    exitKcycles: assumed(0, inWallClock),
    deviceProbeExits: assumed(0, inWallClock),
    decompressesKernel:
      kernel === 'bzImage'
        ? assumed(1, 'boots a compressed kernel that the guest inflates')
        : assumed(0, 'the VMM loads an uncompressed vmlinux'),
    nicSetupMcycles: assumed(0, inWallClock),
    guestWaitMs: assumed(0, inWallClock),
    wakeupsPerIo: assumed(0, 'not measured for this engine: its boot figures are wall-clock time on a busy host'),
  };
}
