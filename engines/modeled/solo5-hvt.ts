import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { firecracker } from './firecracker.js';

const fc = firecracker.spec;
/** uk-eurosys21 unikernel on its 3.6 GHz host: the 0.4 MiB image read (+2%) and init, ms. */
const UK_GUEST_MS = (0.4 * 1.048576 * 1.02) / 3 + (0.055 * 3.6 * 1.02322) / 3.6;

/**
 * Solo5's hvt tender: a small monitor on KVM built for unikernels. It loads the unikernel's ELF,
 * sets up one vCPU and offers block and network devices through hypercalls rather than emulated
 * hardware, so the guest has nothing to probe.
 */
export const solo5Hvt = defineModeledEngine({
  id: 'solo5-hvt',
  title: 'Solo5 hvt (unikernel monitor on KVM)',
  kind: 'microvm',
  requiresVirtualization: true,
  boot: {
    vmmStartMs: assumed(0, 'given as work: vmmStartMcycles'),
    vmmStartMcycles: derived(
      (3.068 - UK_GUEST_MS) * 3.6,
      "uk-eurosys21-boot-solo5: 3.07 ms to the unikernel's main() at 3.6 GHz, less its guest part",
    ),
    controlSetupMcycles: assumed(0, 'configured on the command line; parsing it is part of the tender start'),
    controlCalls: assumed(0, 'no requests'),
    controlCallMcycles: assumed(0, 'no requests'),
    firmwareMs: assumed(0, 'no firmware'),
    firmwareMcycles: assumed(0, 'no firmware'),
    firmwareExits: assumed(0, 'no firmware'),
    bootloaderMs: assumed(0, 'no boot loader'),
    bootloaderMcycles: assumed(0, 'no boot loader'),
    decompressesKernel: assumed(0, 'loads the unikernel ELF as it is'),
    devices: assumed(
      0,
      'hypercall devices: nothing to probe; bridge mode still adds the NIC a Linux guest would probe',
    ),
    deviceProbeMs: assumed(0, 'no emulated devices'),
    exitKcycles: fc.boot.exitKcycles,
    deviceProbeExits: assumed(10, 'a hypercall or two per device'),
    guestWaitMs: assumed(0, 'nothing to time out on'),
    nicSetupMcycles: fc.boot.nicSetupMcycles,
    wakeupsPerIo: assumed(1, 'a hypercall handled on the vCPU thread itself: one wake-up when the request completes'),
  },
  memory: {
    ...fc.memory,
    instanceOverheadMiB: assumed(1, 'a small C tender: its code, stack and the guest page tables'),
  },
  costs: fc.costs,
  storm: {
    serialMs: fc.storm!.serialMs,
    setupCpuFraction: fc.storm!.setupCpuFraction,
    backgroundCpuMs: assumed(0, 'started directly from the command line: nothing runs beside the boot'),
  },
  noise: fc.noise,
});
