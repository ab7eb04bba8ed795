import type { ModeledEngineSpec } from '../model/params.js';
import { assumed } from '../param.js';
import type { Cell, OsImage } from '../types.js';
import { defineModeledEngine, type ModeledEngine, predict } from './define.js';

/**
 * Kata Containers: each container (pod) runs in its own lightweight VM. containerd starts the
 * Kata shim, which starts virtiofsd and the VMM; the guest boots Kata's own small kernel with the
 * kata-agent as init, and the shim asks the agent over vsock to create and start the container,
 * whose root file system is the host's unpacked image shared through virtio-fs.
 *
 * Kata is a VM by mechanism (a guest kernel, one VM per pod, nothing shared with the host
 * kernel), so it is a `microvm` engine rather than a new kind: its container side is the guest
 * it boots (kataGuest) and the requests on its control path. Every figure is assumed; the
 * calibration set has no Kata row. The container image is taken as already in the host's store.
 */

/** Kata's guest: its own kernel and the agent as init, whatever the container image is. */
export function kataGuest(container: OsImage): OsImage {
  return {
    ...container,
    id: `kata-guest+${container.id}`,
    description: `Kata guest kernel and agent, running ${container.id}`,
    kernelCompressedMiB: assumed(6, "Kata's guest kernel: a small virtio-only config"),
    kernelUncompressedMiB: assumed(20, "Kata's guest kernel vmlinux, a small virtio-only config"),
    kernelInitMcycles: assumed(40, 'a minimal virtio-only kernel, as nsdi20-linuxkit'),
    bootServices: assumed(1, 'the kata-agent is init: one service'),
    serviceMcycles: assumed(25, 'the agent (a Rust binary) starting its ttrpc server on vsock, about 10 ms at 2.5 GHz'),
    guestOsMemoryMiB: assumed(40, 'guest kernel, agent and the page cache of the mini root file system'),
    bootIoRequests: assumed(10, 'the guest root (an image mapped with DAX) is barely read at boot'),
  };
}

/** Shim, virtiofsd and VMM start together; the shim's agent requests follow the guest's boot. */
export function kataEngine(id: string, title: string, vmm: ModeledEngineSpec): ModeledEngine {
  if (vmm.kind !== 'microvm') throw new Error(`Kata's VMM ${vmm.id} must be a microVM engine`);
  const spec = {
    ...vmm,
    id,
    title,
    boot: {
      ...vmm.boot,
      vmmStartMcycles: assumed(
        vmm.boot.vmmStartMcycles.value + 60,
        `${vmm.id}'s start plus the containerd-shim-kata-v2 process and virtiofsd: two more Rust or C processes, about 24 ms at 2.5 GHz`,
      ),
      controlSetupMcycles: assumed(
        vmm.boot.controlSetupMcycles.value + 10,
        `${vmm.id}'s configuration, built by the shim from the OCI spec and Kata's configuration.toml`,
      ),
      controlCalls: assumed(
        4,
        'agent requests over vsock once the guest is up: CreateSandbox, CreateContainer, StartContainer, and one to the VMM to hot-plug the container share',
      ),
      controlCallMcycles: assumed(10, 'a ttrpc request with the guest mounting the virtio-fs share: about 4 ms'),
    },
    storm: {
      ...(vmm.storm ?? {}),
      serialMs: assumed(0, 'one shim per pod; containerd serialises only its own bookkeeping'),
      setupCpuFraction: vmm.storm!.setupCpuFraction,
      backgroundCpuMs: assumed(0, 'containerd and the shim work on the boot path'),
    },
    memory: {
      ...vmm.memory,
      instanceOverheadMiB: assumed(
        vmm.memory.instanceOverheadMiB.value + 35,
        `${vmm.id}'s VMM plus the shim (about 20 MiB) and virtiofsd (about 15 MiB)`,
      ),
    },
  } as ModeledEngineSpec;
  const made = defineModeledEngine(spec);
  return { ...made, measure: async (cell: Cell) => predict(spec, { ...cell, os: kataGuest(cell.os) }) };
}
