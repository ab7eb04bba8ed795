import { readFile, statfs, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { Cell, DensityResource, Engine, EngineKind, Measurement } from '../types.js';
import { BUSYBOX_PACKAGE, findStaticBusybox } from './guest/busybox.js';
import { parseWorkOutput, WORK_SCRIPT, WORKLOADS, type WorkloadName, type WorkReport } from './guest/scripts.js';
import { cpuSeconds, hostMemory, processTree, pssKiB } from './host/procfs.js';
import { runCommand } from './host/spawn.js';
import { makeTempDir } from './host/tempdir.js';
import { densityInstanceCount, extrapolateDensity } from './measure/density.js';
import { Launcher, type LaunchTiming, withoutOverhead } from './measure/launcher.js';
import { median } from './median.js';
import { defaultMemoryBudgetMiB, type ResolvedRealOptions, resolveRealOptions } from './options.js';

/** Whether a driver can run here, and if not, why and what to install. */
export interface Availability {
  readonly available: boolean;
  /** Why not, one reason per missing piece; empty when available. */
  readonly reasons: readonly string[];
  /** Debian packages that bring what is missing. */
  readonly packages: readonly string[];
  /** What was found, for `virtbench doctor` (versions, paths, the accelerator). */
  readonly found: readonly string[];
}

export interface BootCommand {
  readonly argv: readonly string[];
  /** The readiness line contains this; '' takes the first line the command prints. */
  readonly marker: string;
  /**
   * The command itself returns once the instance runs (`docker run --detach`), so its exit, not
   * a line, is the readiness signal.
   */
  readonly readyAtExit?: boolean;
  /**
   * For outside timers (hyperfine's --prepare): a command that leaves the host as settled as
   * afterBoot leaves it before the next boot, when afterBoot waits for something.
   */
  readonly settleCommand?: readonly string[];
}

/** One idle instance kept running for the density measurement. */
export interface IdleInstance {
  /** The processes whose trees make up the instance: VMM, shim, container init. */
  pids(): Promise<number[]>;
  /** Disk bytes this instance owns beyond the shared image. */
  storageBytes(): Promise<number>;
  stop(): Promise<void>;
}

export interface ImageSizes {
  /** What one instance boots from, as stored on the host, bytes. */
  readonly onDiskBytes: number;
  /** What would cross the network to fetch it (a compressed layer), bytes. */
  readonly compressedBytes?: number;
  /** What the bytes are, for the report's notes. */
  readonly description: string;
}

/** A driver prepared for one cell: its bundle, image or initramfs exists until dispose(). */
export interface DriverSession {
  readonly boot: BootCommand;
  /** Untimed work after each timed boot, such as removing the container it left. */
  afterBoot?(timing: LaunchTiming): Promise<void>;
  /** Boot phases from the instance's own clock, ms, when it has one (a VM's kernel log). */
  bootPhases?(timing: LaunchTiming): Readonly<Record<string, number>> | undefined;
  images(): Promise<ImageSizes>;
  /** Memory one idle instance is expected to take, MiB: caps how many start within the budget. */
  readonly idleEstimateMiB: number;
  startIdle(index: number): Promise<IdleInstance>;
  /** Runs the workload script `repetitions` times in one fresh instance; its output lines. */
  runWorkload(repetitions: number): Promise<string[]>;
  /** VMs: instances are capped by vCPU overcommit as well. */
  readonly isVm: boolean;
  dispose(): Promise<void>;
}

export interface SessionContext {
  readonly cell: Cell;
  readonly options: ResolvedRealOptions;
  /** A temporary directory for this cell, removed after it. */
  readonly workDir: string;
  readonly busybox: string;
  /** Facts worth reporting (accelerator, kernel), added to the measurement's notes. */
  readonly notes: string[];
}

export interface RealDriverSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: () => EngineKind;
  readonly modeledCounterpart: () => string;
  readonly defaultTimeoutMs: number;
  /** The Debian packages the driver needs, listed by `virtbench doctor` whether present or not. */
  readonly requires: readonly string[];
  /** What this host offers the driver; the cell, when given, may point at its own files (a kernel). */
  availability(cell?: Cell): Promise<Availability>;
  open(context: SessionContext): Promise<DriverSession>;
}

export interface RealDriver extends Engine {
  readonly driver: 'real';
  readonly spec: RealDriverSpec;
  availability(cell?: Cell): Promise<Availability>;
}

const ALL_FAMILIES = ['boot_time', 'image_size', 'density', 'overhead', 'isolation'];

/** Availability of the one thing every driver needs: a static busybox. */
export async function busyboxAvailability(): Promise<{ path?: string; availability: Availability }> {
  const { busybox, reason } = await findStaticBusybox();
  return busybox
    ? {
        path: busybox.path,
        availability: { available: true, reasons: [], packages: [], found: [`busybox ${busybox.path} (static)`] },
      }
    : { availability: { available: false, reasons: [reason!], packages: [BUSYBOX_PACKAGE], found: [] } };
}

export function combineAvailability(...parts: Availability[]): Availability {
  const reasons = parts.flatMap((p) => p.reasons);
  return {
    available: reasons.length === 0,
    reasons,
    packages: [...new Set(parts.flatMap((p) => p.packages))],
    found: parts.flatMap((p) => p.found),
  };
}

let queue: Promise<unknown> = Promise.resolve();

/** Real measurements never overlap: each waits for the one before it, whoever calls. */
export function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

/** Turns a driver spec into an Engine whose measure() boots, sizes, packs and loads the real thing. */
export function defineRealDriver(spec: RealDriverSpec): RealDriver {
  return {
    id: spec.id,
    title: spec.title,
    get kind() {
      return spec.kind();
    },
    driver: 'real',
    get modeledCounterpart() {
      return spec.modeledCounterpart();
    },
    spec,
    availability: (cell) => spec.availability(cell),
    measure: (cell) => exclusive(() => measureCell(spec, cell)),
  };
}

/** A prepared driver, or why it cannot run here. */
export type OpenedSession =
  | {
      readonly session: DriverSession;
      readonly options: ResolvedRealOptions;
      readonly busybox: string;
      readonly workDir: string;
      readonly notes: string[];
      close(): Promise<void>;
    }
  | { readonly session?: undefined; readonly unsuitable: string; readonly notes: string[] };

/** Checks availability and prepares the driver for a cell; close() tears everything down. */
export async function openSession(spec: RealDriverSpec, cell: Cell): Promise<OpenedSession> {
  const notes: string[] = [];
  const availability = await spec.availability(cell);
  if (!availability.available) {
    const install = availability.packages.length > 0 ? ` (Debian packages: ${availability.packages.join(' ')})` : '';
    return { unsuitable: `${spec.id} unavailable: ${availability.reasons.join('; ')}${install}`, notes };
  }
  const { path: busybox } = await busyboxAvailability();
  const options = resolveRealOptions(cell, spec.defaultTimeoutMs);
  const workDir = await makeTempDir(spec.id);
  let session: DriverSession;
  try {
    session = await spec.open({ cell, options, workDir: workDir.path, busybox: busybox!, notes });
  } catch (error) {
    workDir.release();
    return { unsuitable: `${spec.id} could not be prepared: ${message(error)}`, notes };
  }
  return {
    session,
    options,
    busybox: busybox!,
    workDir: workDir.path,
    notes,
    close: async () => {
      try {
        await session.dispose();
      } finally {
        workDir.release();
      }
    },
  };
}

async function measureCell(spec: RealDriverSpec, cell: Cell): Promise<Measurement> {
  const opened = await openSession(spec, cell);
  if (!opened.session)
    return {
      samples: {},
      unsuitable: [opened.unsuitable],
      ...(opened.notes.length > 0 ? { notes: opened.notes } : {}),
    };
  const { session, options, busybox, notes } = opened;
  const families = new Set(cell.metrics ?? ALL_FAMILIES);
  const samples: Record<string, number[]> = {};
  let densityBinding: DensityResource | undefined;
  let densityInstances: number | undefined;
  let work: WorkComparison | undefined;
  const attempt = async (family: string, step: () => Promise<void>): Promise<void> => {
    if (!families.has(family)) return;
    try {
      await step();
    } catch (error) {
      notes.push(`${family} not measured: ${message(error)}`);
    }
  };
  try {
    await attempt('boot_time', async () => {
      Object.assign(samples, await measureBoot(session, options, undefined, notes));
    });
    await attempt('image_size', async () => {
      const sizes = await session.images();
      samples.image_size = [sizes.onDiskBytes / 2 ** 20];
      if (sizes.compressedBytes !== undefined) samples['image_size.compressed'] = [sizes.compressedBytes / 2 ** 20];
      notes.push(`image: ${sizes.description}`);
    });
    await attempt('density', async () => {
      const density = await measureDensity(session, cell, options, notes);
      if (!density) return;
      Object.assign(samples, density.samples);
      densityBinding = density.binding;
      densityInstances = density.instances;
    });
    if (families.has('overhead') || families.has('isolation')) {
      try {
        work = await measureWork(session, busybox, opened.workDir, options);
      } catch (error) {
        notes.push(`overhead not measured: ${message(error)}`);
      }
    }
    if (work && families.has('overhead')) Object.assign(samples, overheadSamples(work, notes));
    await attempt('isolation', async () => {
      if (!work?.instance.bootId) throw new Error('the instance reported no kernel boot id');
      const hostBootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      const shared = work.instance.bootId === hostBootId;
      samples['isolation.shared_kernel'] = [shared ? 1 : 0];
      // A fault in a shared kernel takes down every instance on the host; a guest kernel only its own VM.
      if (!shared) samples.isolation = [1];
      else if (densityInstances !== undefined) samples.isolation = [densityInstances];
    });
  } finally {
    await opened.close().catch((error) => notes.push(`teardown: ${message(error)}`));
  }
  if (Object.keys(samples).length === 0)
    return { samples: {}, unsuitable: notes.length > 0 ? notes : [`${spec.id} measured nothing`] };
  return { samples, ...(densityBinding ? { densityBinding } : {}), notes };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Round trips of the launcher measured before each boot sampling, and the unmeasured ones before them. */
const OVERHEAD_SAMPLES = 21;
const OVERHEAD_WARMUP = 5;

/**
 * boot_time samples through tinybench: warm-up runs first, then the sampled iterations. Every
 * sample has the launcher's own round trip taken out (see LauncherOverhead), measured just
 * before on the same launcher; `notes` is told how much. With `timings`, every sampled launch
 * (ready and exit times, corrected the same way) is also handed back.
 */
export async function measureBoot(
  session: DriverSession,
  options: Pick<ResolvedRealOptions, 'bootIterations' | 'bootWarmup' | 'timeoutMs'>,
  timings?: LaunchTiming[],
  notes?: string[],
): Promise<Record<string, number[]>> {
  const launcher = new Launcher();
  // A boot ends at its readiness line, or at exit for commands whose exit is their readiness.
  const bootMs = (timing: { readonly readyMs: number; readonly exitMs: number }): number =>
    session.boot.readyAtExit ? timing.exitMs : timing.readyMs;
  try {
    const overhead = await launcher.overhead(OVERHEAD_SAMPLES, OVERHEAD_WARMUP, options.timeoutMs);
    const sampled: LaunchTiming[] = [];
    let belowRoundTrip = 0;
    let mode: 'warmup' | 'run' = 'warmup';
    const bench = new Bench({
      iterations: options.bootIterations,
      time: 0,
      warmup: options.bootWarmup > 0,
      warmupIterations: options.bootWarmup,
      warmupTime: 0,
      retainSamples: true,
      throws: true,
    });
    bench.add(
      'boot',
      async () => {
        const raw = await launcher.time(session.boot.argv, session.boot.marker, options.timeoutMs);
        if (mode === 'run' && bootMs(raw) < bootMs(overhead)) belowRoundTrip++;
        const timing = withoutOverhead(raw, overhead);
        if (timing.code !== 0)
          throw new Error(
            `boot command exited with ${timing.code}: ${timing.stderr.split('\n').slice(-2).join(' / ')}`,
          );
        await session.afterBoot?.(timing);
        if (mode === 'run') sampled.push(timing);
        return { overriddenDuration: bootMs(timing) };
      },
      {
        beforeAll(phase) {
          mode = phase === 'warmup' ? 'warmup' : 'run';
        },
      },
    );
    await bench.run();
    const result = bench.getTask('boot')?.result;
    if (!result || !('latency' in result) || !result.latency.samples) {
      const error = result && 'error' in result ? (result.error as Error | undefined) : undefined;
      throw new Error(`boot sampling did not complete${error ? `: ${error.message}` : ''}`);
    }
    timings?.push(...sampled);
    notes?.push(
      `boot_time: the launcher's own round trip (${bootMs(overhead).toFixed(3)} ms, ` +
        `median of ${OVERHEAD_SAMPLES} runs of a shell builtin) is subtracted from each sample`,
    );
    if (belowRoundTrip > 0)
      notes?.push(`boot_time: ${belowRoundTrip} boots took less than the launcher's round trip and count as 0 ms`);
    const out: Record<string, number[]> = { boot_time: [...result.latency.samples] };
    for (const timing of sampled) {
      const phases = session.bootPhases?.(timing);
      if (!phases) continue;
      for (const [phase, ms] of Object.entries(phases)) {
        const list = out[`boot_time.${phase}`] ?? [];
        out[`boot_time.${phase}`] = list;
        list.push(ms);
      }
    }
    return out;
  } finally {
    launcher.close();
  }
}

interface DensityOutcome {
  readonly samples: Record<string, number[]>;
  readonly binding: DensityResource;
  readonly instances: number;
}

/** Starts N idle instances together (the one deliberate overlap), measures them, stops them. */
async function measureDensity(
  session: DriverSession,
  cell: Cell,
  options: ResolvedRealOptions,
  notes: string[],
): Promise<DensityOutcome | undefined> {
  const memory = await hostMemory();
  const availableMiB = memory.availableKiB / 1024;
  const budgetMiB = options.densityMemoryBudgetMiB ?? defaultMemoryBudgetMiB(availableMiB);
  const count = densityInstanceCount(options.densityInstances, budgetMiB, session.idleEstimateMiB);
  if (count < 1) {
    notes.push(
      `density skipped: one instance (~${session.idleEstimateMiB} MiB) exceeds the ${Math.round(budgetMiB)} MiB budget`,
    );
    return undefined;
  }
  const instances: IdleInstance[] = [];
  try {
    for (let i = 0; i < count; i++) instances.push(await session.startIdle(i));
    await delay(1000); // let start-up work settle before reading memory and CPU
    const trees = await Promise.all(instances.map(async (instance) => processTree(await instance.pids())));
    const cpuBefore = await Promise.all(trees.map((tree) => sumOf(tree, cpuSeconds)));
    const started = performance.now();
    await delay(2000);
    const cpuAfter = await Promise.all(trees.map((tree) => sumOf(tree, cpuSeconds)));
    const wallSeconds = (performance.now() - started) / 1000;
    const pss = await Promise.all(trees.map((tree) => sumOf(tree, pssKiB)));
    const storage = await Promise.all(instances.map((instance) => instance.storageBytes()));
    const idleCores = cpuAfter.map((after, i) => Math.max(0, after - cpuBefore[i]!) / wallSeconds);
    const fs = await statfs(tmpdir());
    const estimate = extrapolateDensity(
      { pssKiB: pss, idleCores, storageBytes: storage },
      {
        availableMiB,
        hostThreads: availableParallelism(),
        freeStorageMiB: (fs.bavail * fs.bsize) / 2 ** 20,
        targetCpuUtilization: cell.density.targetCpuUtilization,
        appDemandCores: cell.app.demandCores,
        appWrittenMiB: cell.app.writtenMiB,
        ...(session.isVm ? { vcpuOvercommit: cell.density.vcpuOvercommit, vcpus: cell.options.vcpus } : {}),
      },
    );
    notes.push(
      `density: ${count} idle instances (budget ${Math.round(budgetMiB)} MiB), PSS ${(estimate.memoryPerInstanceMiB).toFixed(1)} MiB and ` +
        `${(estimate.cpuPerInstanceCores - cell.app.demandCores).toFixed(3)} idle cores each; ${Math.round(availableMiB)} MiB available`,
    );
    const samples: Record<string, number[]> = {
      density: [estimate.instances],
      'density.memory_per_instance': pss.map((kib) => kib / 1024),
    };
    for (const [resource, limit] of Object.entries(estimate.limits)) {
      if (Number.isFinite(limit)) samples[`density.${resource}`] = [limit];
    }
    return { samples, binding: estimate.binding, instances: estimate.instances };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop().catch(() => undefined)));
  }
}

async function sumOf(pids: readonly number[], read: (pid: number) => Promise<number>): Promise<number> {
  const values = await Promise.all(pids.map(read));
  return values.reduce((a, b) => a + b, 0);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface WorkComparison {
  readonly native: WorkReport;
  readonly instance: WorkReport;
}

/**
 * The same workload script natively (host busybox, host disk) and in a fresh instance, in
 * alternating pairs, so that a change in host load between the two halves of a pair is rare
 * and each instance run has a native run beside it to be compared with.
 */
async function measureWork(
  session: DriverSession,
  busybox: string,
  workDir: string,
  options: ResolvedRealOptions,
): Promise<WorkComparison> {
  const script = join(workDir, 'native-work.sh');
  await writeFile(script, WORK_SCRIPT);
  const timeoutMs = options.timeoutMs * 3;
  const native: WorkReport[] = [];
  const instance: WorkReport[] = [];
  for (let rep = 0; rep < options.workloadRepetitions; rep++) {
    const nativeRun = await runCommand([busybox, 'sh', script, busybox, join(workDir, 'native-disk'), '1'], {
      timeoutMs,
      cwd: workDir,
    });
    native.push(parseWorkOutput(nativeRun.stdout.split('\n')));
    instance.push(parseWorkOutput(await session.runWorkload(1)));
  }
  return { native: mergeReports(native), instance: mergeReports(instance) };
}

function mergeReports(reports: readonly WorkReport[]): WorkReport {
  const times = Object.fromEntries(
    WORKLOADS.map((w) => [w, reports.flatMap((r) => r.times[w])]),
  ) as WorkReport['times'];
  return { times, bootId: reports.map((r) => r.bootId).find((id) => id !== undefined) };
}

/**
 * Overhead against native, per repetition: each in-instance time over the native time of its
 * pair. The cpu figure counts computation and system calls together, as the model's cpu
 * dimension does.
 */
export function overheadSamples(work: WorkComparison, notes: string[]): Record<string, number[]> {
  const { native, instance } = work;
  const missing = WORKLOADS.filter((w) => native.times[w].length === 0 || instance.times[w].length === 0);
  if (missing.length > 0)
    notes.push(
      `overhead: no ${missing.join(', ')} timings from ${native.times[missing[0]!].length === 0 ? 'the native run' : 'the instance'}`,
    );
  const present = WORKLOADS.filter((w) => !missing.includes(w));
  const reps = Math.min(...present.map((w) => Math.min(instance.times[w].length, native.times[w].length)));
  const out: Record<string, number[]> = {};
  const percent = (inst: number, nat: number): number => (inst / nat - 1) * 100;
  const groups: Record<string, readonly WorkloadName[]> = {
    overhead_cpu: ['cpu', 'syscall'],
    overhead_syscall: ['syscall'],
    overhead_memory: ['memory'],
    overhead_disk: ['disk'],
    overhead_total: WORKLOADS,
  };
  for (const [metric, parts] of Object.entries(groups)) {
    if (parts.some((p) => missing.includes(p)) || !Number.isFinite(reps)) continue;
    const sum = (times: WorkReport['times'], i: number): number => parts.reduce((total, p) => total + times[p][i]!, 0);
    const values = Array.from({ length: reps }, (_, i) =>
      sum(native.times, i) > 0 ? percent(sum(instance.times, i), sum(native.times, i)) : NaN,
    );
    if (values.every(Number.isFinite)) out[metric] = values;
  }
  const show = (report: WorkReport): string =>
    WORKLOADS.filter((w) => report.times[w].length > 0)
      .map((w) => `${w} ${(median(report.times[w]) / 1000).toFixed(0)} ms`)
      .join(', ');
  notes.push(`workloads (median): native ${show(native)}; in instance ${show(instance)}`);
  return out;
}
