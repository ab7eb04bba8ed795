import type { HardwareProfile, KernelCosts } from '../types.js';

/**
 * The host kernel's start-up operations, each priced on a hardware profile. A profile may give
 * any of them (measured on its host, or derived from a study's figures); the rest follow from
 * the CPU: a few hundred thousand cycles of kernel work at the profile's clock, plus the kernel
 * entries the operation makes, each at the profile's system-call cost. So a faster CPU makes
 * every operation cheaper, and a host whose kernel entries are dear (page-table isolation, a
 * nested hypervisor) pays for it in every one.
 */

/** What one operation costs on a CPU: kernel work in cycles, and how many kernel entries it makes. */
export interface KernelOperation {
  readonly mcycles: number;
  readonly kernelEntries: number;
  readonly why: string;
}

/**
 * Every default is assumed: no row of the calibration set times these operations on their own.
 * The cycle counts are orders of magnitude from what each operation does in the kernel; the
 * entries count the system calls and page faults it takes.
 */
export const KERNEL_OPERATIONS: Readonly<Record<keyof KernelCosts, KernelOperation>> = {
  forkExecUs: {
    mcycles: 1.0,
    kernelEntries: 100,
    why: 'assumed: copying the parent page tables, loading a small ELF and tearing the address space down again is about a million cycles; some 40 system calls and 60 page faults',
  },
  namespaceUs: {
    mcycles: 0.1,
    kernelEntries: 4,
    why: 'assumed: allocating a pid, uts or ipc namespace is a few allocations; a mount namespace copies the mount table (about 100,000 cycles on a host with a few dozen mounts)',
  },
  netnsUs: {
    mcycles: 2.5,
    kernelEntries: 20,
    why: 'assumed: a network namespace runs every per-namespace init of the network stack (loopback device, sysctl tables, proc entries, netfilter), some 2.5 million cycles',
  },
  mountUs: {
    mcycles: 0.1,
    kernelEntries: 4,
    why: 'assumed: a path lookup, a superblock for proc, tmpfs or sysfs (or a bind), and the namespace lock: about 100,000 cycles',
  },
  cgroupWriteUs: {
    mcycles: 0.05,
    kernelEntries: 3,
    why: 'assumed: an open, write and close of a kernfs file (or a mkdir) under the cgroup mutex: about 50,000 cycles',
  },
  ipcRoundTripUs: {
    mcycles: 0.2,
    kernelEntries: 8,
    why: 'assumed: a request and its reply over a Unix socket between two Go daemons: two writes, two reads, two wake-ups and the HTTP or gRPC marshalling, about 200,000 cycles',
  },
};

export const KERNEL_COST_NAMES = Object.keys(KERNEL_OPERATIONS) as (keyof KernelCosts)[];

/** The default of one operation on a CPU: its cycles at the clock plus its kernel entries at the system-call cost. */
export function defaultKernelCost(name: keyof KernelCosts, cpu: HardwareProfile['cpu']): number {
  const op = KERNEL_OPERATIONS[name];
  return (op.mcycles / cpu.ghz) * 1000 + (op.kernelEntries * cpu.syscallNs) / 1000; // Mcycles / GHz = ms
}

/** Every operation's cost on a profile, µs: the profile's own figure, else the CPU-derived default. */
export function kernelCosts(hardware: HardwareProfile): KernelCosts {
  const costs = {} as Record<keyof KernelCosts, number>;
  for (const name of KERNEL_COST_NAMES) costs[name] = hardware.kernel?.[name] ?? defaultKernelCost(name, hardware.cpu);
  return costs;
}

/** Where each cost of a profile comes from, for reports. */
export function kernelCostSources(hardware: HardwareProfile): Record<keyof KernelCosts, string> {
  const sources = {} as Record<keyof KernelCosts, string>;
  for (const name of KERNEL_COST_NAMES) {
    const op = KERNEL_OPERATIONS[name];
    sources[name] =
      hardware.kernel?.[name] !== undefined
        ? `given by hardware ${hardware.id}`
        : `${op.mcycles} Mcycles at ${hardware.cpu.ghz} GHz + ${op.kernelEntries} kernel entries at ${hardware.cpu.syscallNs} ns (${op.why})`;
  }
  return sources;
}
