import type {
  Cell,
  GvisorPlatform,
  OciRuntime,
  QemuFirmware,
  QemuMachine,
  RealDriverOptions,
  SandboxUser,
  StartMode,
} from '../types.js';

/** Real-driver settings with every default filled in. */
export interface ResolvedRealOptions {
  readonly bootWarmup: number;
  readonly bootIterations: number;
  readonly workloadRepetitions: number;
  readonly densityInstances: number;
  /** undefined: the smaller of 25% of MemAvailable and 4 GiB, decided when density runs. */
  readonly densityMemoryBudgetMiB?: number;
  /** Density to failure: the most instances started, instances per batch, the MemAvailable floor and the start-latency ceiling. */
  readonly densityLimit: number;
  readonly densityBatch: number;
  readonly densityMemoryFloorMiB?: number;
  readonly densityStartCeilingMs?: number;
  readonly timeoutMs: number;
  readonly kernel?: string;
  readonly accelerator: 'auto' | 'kvm' | 'tcg';
  /** qemu: undefined leaves the choice to the driver (pc for qemu, microvm for qemu-microvm). */
  readonly machine?: QemuMachine;
  /** qemu: undefined means the machine's usual firmware. */
  readonly firmware?: QemuFirmware;
  readonly startMode: StartMode;
  /** podman, docker: undefined leaves the engine's own default (runc here). */
  readonly runtime?: OciRuntime;
  /** runsc: undefined picks the best platform this host runs. */
  readonly platform?: GvisorPlatform;
  /** bwrap: undefined runs as whoever runs virtbench. */
  readonly user?: SandboxUser;
}

export const REAL_DEFAULTS = {
  bootWarmup: 3,
  workloadRepetitions: 3,
  densityInstances: 8,
  densityLimit: 200,
  densityBatch: 4,
  accelerator: 'auto',
  startMode: 'warm',
} as const;

/** The default density budget: a quarter of what the host has free, and never more than 4 GiB. */
export function defaultMemoryBudgetMiB(availableMiB: number): number {
  return Math.min(availableMiB * 0.25, 4096);
}

/** How long one workload run may take: two boot timeouts for the instance, plus one per repetition of the script. */
export function workloadTimeoutMs(options: ResolvedRealOptions, repetitions: number): number {
  return options.timeoutMs * (2 + repetitions);
}

export function resolveRealOptions(cell: Cell, defaultTimeoutMs: number): ResolvedRealOptions {
  const given: RealDriverOptions = cell.options.real ?? {};
  return {
    bootWarmup: given.bootWarmup ?? REAL_DEFAULTS.bootWarmup,
    bootIterations: given.bootIterations ?? cell.repetitions,
    workloadRepetitions: given.workloadRepetitions ?? REAL_DEFAULTS.workloadRepetitions,
    densityInstances: given.densityInstances ?? REAL_DEFAULTS.densityInstances,
    densityMemoryBudgetMiB: given.densityMemoryBudgetMiB,
    densityLimit: given.densityLimit ?? REAL_DEFAULTS.densityLimit,
    densityBatch: given.densityBatch ?? REAL_DEFAULTS.densityBatch,
    densityMemoryFloorMiB: given.densityMemoryFloorMiB,
    densityStartCeilingMs: given.densityStartCeilingMs,
    timeoutMs: given.timeoutMs ?? defaultTimeoutMs,
    kernel: given.kernel,
    accelerator: given.accelerator ?? REAL_DEFAULTS.accelerator,
    machine: given.machine,
    firmware: given.firmware,
    startMode: given.startMode ?? REAL_DEFAULTS.startMode,
    runtime: given.runtime,
    platform: given.platform,
    user: given.user,
  };
}
