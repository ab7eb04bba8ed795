import { Bench } from 'tinybench';
import type { DriverSession } from '../driver-spec.js';
import type { ResolvedRealOptions } from '../options.js';
import { Launcher, type LaunchTiming, withoutOverhead } from './launcher.js';

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
