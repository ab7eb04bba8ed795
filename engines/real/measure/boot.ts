import { writeFile } from 'node:fs/promises';
import { Bench } from 'tinybench';
import type { StartMode } from '../../types.js';
import type { BootCommand, DriverSession } from '../driver-spec.js';
import { runCommand } from '../host/spawn.js';
import type { ResolvedRealOptions } from '../options.js';
import { Launcher, type LaunchTiming, withoutOverhead } from './launcher.js';

/** Round trips of the launcher measured before each boot sampling, and the unmeasured ones before them. */
const OVERHEAD_SAMPLES = 21;
const OVERHEAD_WARMUP = 5;

/** The phases every real driver names where they apply, in the order an instance reaches them. */
export const BOOT_PHASES = ['image_ready', 'runtime_ready', 'kernel_entry', 'init', 'workload_ready'] as const;

export type BootSampling = Pick<ResolvedRealOptions, 'bootIterations' | 'bootWarmup' | 'timeoutMs'> & {
  /** warm when not given. */
  readonly startMode?: StartMode;
};

/** A start mode this session cannot measure, as the reason; undefined when it can. */
export function startModeProblem(session: DriverSession, mode: StartMode): string | undefined {
  switch (mode) {
    case 'warm':
      return undefined;
    case 'cold':
      return process.getuid?.() === 0
        ? undefined
        : 'start mode cold drops the page cache before each boot (/proc/sys/vm/drop_caches), which needs root';
    case 'image-inclusive':
      return session.prepareImage && session.discardImage
        ? undefined
        : 'start mode image-inclusive: this driver has no step that makes its image usable from nothing';
    case 'restore':
      return session.restore
        ? undefined
        : 'start mode restore: this driver cannot checkpoint a running instance and start from the checkpoint';
  }
}

/** Writes dirty pages back and drops the page cache, dentries and inodes: the next boot reads from disk. */
export async function dropCaches(timeoutMs: number): Promise<void> {
  await runCommand(['sync'], { timeoutMs });
  await writeFile('/proc/sys/vm/drop_caches', '3\n');
}

/**
 * boot_time samples through tinybench: warm-up runs first, then the sampled iterations. Every
 * sample has the launcher's own round trip taken out (see LauncherOverhead), measured just
 * before on the same launcher; `notes` is told how much. With `timings`, every sampled launch
 * (ready and exit times, corrected the same way) is also handed back.
 *
 * The start mode decides what a sample includes: warm is the boot command alone; cold drops the
 * page cache first (untimed); image-inclusive discards the image (untimed), then times
 * prepareImage() and the boot as one start on the same clock; restore checkpoints an instance
 * once (untimed) and boots every sample from it.
 *
 * Besides boot_time (spawn to workload ready) it returns teardown_time (workload ready to the
 * command's exit) for commands that outlive their readiness, and the boot phases as ms from the
 * start on the host's monotonic clock: boot_time.workload_ready always, boot_time.image_ready
 * when the image is part of the start, and what the driver's bootPhases() shows.
 */
export async function measureBoot(
  session: DriverSession,
  options: BootSampling,
  timings?: LaunchTiming[],
  notes?: string[],
): Promise<Record<string, number[]>> {
  const mode = options.startMode ?? 'warm';
  const problem = startModeProblem(session, mode);
  if (problem) throw new Error(problem);
  const boot: BootCommand = mode === 'restore' ? session.restore!.boot : session.boot;
  if (mode === 'restore') await session.restore!.checkpoint();
  const launcher = new Launcher();
  // A boot ends at its readiness line, or at exit for commands whose exit is their readiness.
  const bootMs = (timing: { readonly readyMs: number; readonly exitMs: number }): number =>
    boot.readyAtExit ? timing.exitMs : timing.readyMs;
  try {
    const overhead = await launcher.overhead(OVERHEAD_SAMPLES, OVERHEAD_WARMUP, options.timeoutMs);
    const sampled: { timing: LaunchTiming; imageMs: number }[] = [];
    let belowRoundTrip = 0;
    let phase: 'warmup' | 'run' = 'warmup';
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
        // Only the launch (and, image-inclusive, the preparation) is timed: the duration is overridden.
        if (mode === 'cold') await dropCaches(options.timeoutMs);
        let imageMs = 0;
        if (mode === 'image-inclusive') {
          await session.discardImage!();
          const started = performance.now();
          await session.prepareImage!();
          imageMs = performance.now() - started;
        }
        const raw = await launcher.time(boot.argv, boot.marker, options.timeoutMs);
        if (phase === 'run' && bootMs(raw) < bootMs(overhead)) belowRoundTrip++;
        const timing = withoutOverhead(raw, overhead);
        if (timing.code !== 0)
          throw new Error(
            `boot command exited with ${timing.code}: ${timing.stderr.split('\n').slice(-2).join(' / ')}`,
          );
        await session.afterBoot?.(timing);
        if (phase === 'run') sampled.push({ timing, imageMs });
        return { overriddenDuration: imageMs + bootMs(timing) };
      },
      {
        beforeAll(which) {
          phase = which === 'warmup' ? 'warmup' : 'run';
        },
      },
    );
    await bench.run();
    const result = bench.getTask('boot')?.result;
    if (!result || !('latency' in result) || !result.latency.samples) {
      const error = result && 'error' in result ? (result.error as Error | undefined) : undefined;
      throw new Error(`boot sampling did not complete${error ? `: ${error.message}` : ''}`);
    }
    timings?.push(...sampled.map((s) => s.timing));
    notes?.push(
      `boot_time: the launcher's own round trip (${bootMs(overhead).toFixed(3)} ms, ` +
        `median of ${OVERHEAD_SAMPLES} runs of a shell builtin) is subtracted from each sample`,
    );
    notes?.push(`boot_time: start mode ${mode} (${START_MODE_MEANING[mode]})`);
    if (belowRoundTrip > 0)
      notes?.push(`boot_time: ${belowRoundTrip} boots took less than the launcher's round trip and count as 0 ms`);
    if (boot.readyAtExit) notes?.push("teardown_time: not measured, the boot command's exit is its readiness signal");
    // In launch order (tinybench keeps its samples sorted), so that every metric's i-th sample is one boot.
    const out: Record<string, number[]> = { boot_time: sampled.map(({ timing, imageMs }) => imageMs + bootMs(timing)) };
    const add = (metric: string, ms: number): void => {
      const list = out[metric] ?? [];
      out[metric] = list;
      list.push(ms);
    };
    for (const { timing, imageMs } of sampled) {
      const phases: Record<string, number> = { ...(session.bootPhases?.(timing) ?? {}) };
      phases.workload_ready = bootMs(timing);
      if (mode === 'image-inclusive') add('boot_time.image_ready', imageMs);
      // Phases the driver names that are not among the shared ones follow, in its order.
      const names = [
        ...BOOT_PHASES.filter((name) => name in phases),
        ...Object.keys(phases).filter((n) => !(BOOT_PHASES as readonly string[]).includes(n)),
      ];
      for (const name of names) add(`boot_time.${name}`, imageMs + phases[name]!);
    }
    if (!boot.readyAtExit)
      for (const { timing } of sampled) add('teardown_time', Math.max(0, timing.exitMs - timing.readyMs));
    return out;
  } finally {
    launcher.close();
  }
}

const START_MODE_MEANING: Readonly<Record<StartMode, string>> = {
  warm: 'image and binaries in the page cache',
  cold: 'sync and drop_caches before each sample, untimed',
  'image-inclusive': 'each sample discards the image untimed, then prepares it and boots, timed as one start',
  restore: 'each sample starts from a checkpoint of a running instance, taken once untimed',
};
