import type { EngineKind } from '../types.js';

/** Whether instances of this kind make their system calls into the host kernel itself. */
export function sharesHostKernel(kind: EngineKind): boolean {
  return kind === 'native' || kind === 'container';
}

/**
 * Instances that one fault in the kernel an instance talks to takes down. Shared-kernel
 * instances all go with the host kernel; a sandbox's user-space kernel or a VM's guest kernel
 * takes down only its own instance.
 */
export function faultBlastRadius(kind: EngineKind, coLocatedInstances: number): number {
  return sharesHostKernel(kind) ? coLocatedInstances : 1;
}
