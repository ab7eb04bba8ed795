import { fixedMetricIds, isKnownMetric } from '../../engines/metrics.js';
import { InputError, type InputProblem, type SourceLocation } from '../../engines/shared/errors.js';
import { parseSourceFile } from '../scenario/load.js';
import { formatPath, locate, type PathSegment } from '../scenario/locate.js';
import type { GatesSpec } from '../scenario/schema.js';
import { didYouMean } from '../scenario/suggest.js';
import { BAND_SIDES, BAND_STATS, type BandSpec, bandProblems } from './bands.js';
import type { Correction } from './correction.js';
import { MIN_RESAMPLES, type Statistic } from './resampling.js';

/**
 * What a gate checks. Checks come from a scenario's `gates:` block or from flags; flags override
 * the block's defaults, a check's own settings override both.
 */

export type Direction = 'worse' | 'either';

export interface AbSettings {
  readonly statistic: Statistic;
  readonly alpha: number;
  /** Noise threshold: the smallest change, in percent, that may fail. */
  readonly threshold: number;
  readonly direction: Direction;
}

/** One configured check, before it is expanded over engines and sweep points. */
export interface CheckSpec {
  readonly metric: string;
  readonly engines?: readonly string[];
  readonly kinds?: readonly string[];
  readonly test:
    | { readonly type: 'ab'; readonly settings: AbSettings }
    | { readonly type: 'band'; readonly band: BandSpec };
  /** Where the check was written, for errors and CI annotations. */
  readonly origin: SourceLocation;
  readonly path: string;
  /** Checks the user wrote must match something; default checks skip metrics a run lacks. */
  readonly explicit: boolean;
}

export interface GatePlan {
  readonly checks: readonly CheckSpec[];
  readonly correction: Correction;
  readonly resamples: number;
  readonly seed: number;
  /** Where the checks came from, for the report header. */
  readonly source: string;
}

export const DEFAULT_AB: AbSettings = { statistic: 'mean', alpha: 0.01, threshold: 5, direction: 'worse' };
export const DEFAULT_CORRECTION: Correction = 'holm';
export const DEFAULT_SEED = 1;

/**
 * Metrics a gate checks when nobody says which: the headline of each family, the figures people
 * ask a regression gate about (boot time, image size, density, overhead, blast radius).
 */
export const DEFAULT_GATED_METRICS = [
  'boot_time',
  'image_size',
  'image_size.compressed',
  'density',
  'overhead_total',
  'isolation',
] as const;

export interface GateFlags {
  readonly statistic?: Statistic;
  readonly alpha?: number;
  readonly threshold?: number;
  readonly direction?: Direction;
  readonly correction?: Correction;
  readonly resamples?: number;
  readonly seed?: number;
  /** A/B-check exactly these metrics, replacing the block's checks; 'all' for every metric in the baseline. */
  readonly metrics?: readonly string[] | 'all';
  /** Extra band checks, as written on the command line. */
  readonly bands?: readonly string[];
}

/** A scenario's gates block, with the file it came from so problems can be located. */
export interface GatesSource {
  readonly file: string;
  readonly gates: GatesSpec;
}

const commandLine = (path: string, message: string, expected?: string, hint?: string): InputProblem => ({
  location: { file: 'command line' },
  path,
  message,
  expected,
  hint,
});

export async function buildPlan(source: GatesSource | undefined, flags: GateFlags): Promise<GatePlan> {
  const gates = source?.gates ?? {};
  const problems: InputProblem[] = [];
  const positions = source ? await parseSourceFile(source.file) : undefined;
  const at = (path: PathSegment[]): SourceLocation => {
    if (!source || !positions) return { file: 'command line' };
    const position = locate(positions.doc, positions.lines, path);
    return { file: source.file, line: position?.line, column: position?.column };
  };
  const defaults: AbSettings = {
    statistic: flags.statistic ?? gates.statistic ?? DEFAULT_AB.statistic,
    alpha: flags.alpha ?? gates.alpha ?? DEFAULT_AB.alpha,
    threshold: flags.threshold ?? gates.threshold ?? DEFAULT_AB.threshold,
    direction: flags.direction ?? gates.direction ?? DEFAULT_AB.direction,
  };
  const checks: CheckSpec[] = [];

  if (flags.metrics !== undefined) {
    const metrics = flags.metrics === 'all' ? ['*'] : flags.metrics;
    for (const metric of metrics) {
      if (metric !== '*' && !isKnownMetric(metric)) {
        problems.push(
          commandLine(
            '--metrics',
            `unknown metric "${metric}"`,
            'metric ids such as boot_time, image_size, density, overhead_total, or all',
            didYouMean(metric, fixedMetricIds()) ?? 'run `virtbench list metrics`',
          ),
        );
        continue;
      }
      checks.push({
        metric,
        test: { type: 'ab', settings: defaults },
        origin: { file: 'command line' },
        path: '--metrics',
        explicit: metric !== '*',
      });
    }
  } else if (gates.checks) {
    gates.checks.forEach((check, index) => {
      const path: PathSegment[] = ['gates', 'checks', index];
      const common = {
        metric: check.metric,
        engines: check.engines,
        kinds: check.kinds,
        origin: at(path),
        path: formatPath(path),
        explicit: true,
      };
      if (check.band) {
        for (const problem of bandProblems(check.band)) {
          const fieldPath = [...path, 'band', problem.field];
          problems.push({
            location: at(fieldPath),
            path: formatPath(fieldPath),
            message: problem.message,
            hint: 'see docs/gates.md',
          });
        }
        checks.push({ ...common, test: { type: 'band', band: check.band } });
      } else {
        const settings: AbSettings = {
          statistic: check.statistic ?? defaults.statistic,
          alpha: check.alpha ?? defaults.alpha,
          threshold: check.threshold ?? defaults.threshold,
          direction: check.direction ?? defaults.direction,
        };
        checks.push({ ...common, test: { type: 'ab', settings } });
      }
    });
  } else {
    for (const metric of DEFAULT_GATED_METRICS) {
      checks.push({
        metric,
        test: { type: 'ab', settings: defaults },
        origin: { file: 'command line' },
        path: 'default checks',
        explicit: false,
      });
    }
  }

  for (const text of flags.bands ?? []) {
    const parsed = parseBandFlag(text);
    if ('problem' in parsed) problems.push(parsed.problem);
    else checks.push(parsed.check);
  }
  if (problems.length > 0) throw new InputError(problems);

  const described =
    flags.metrics !== undefined
      ? '--metrics'
      : gates.checks
        ? `gates: in ${source!.file}`
        : `default metrics ${DEFAULT_GATED_METRICS.join(', ')}`;
  return {
    checks,
    correction: flags.correction ?? gates.correction ?? DEFAULT_CORRECTION,
    resamples: Math.max(MIN_RESAMPLES, flags.resamples ?? gates.resamples ?? MIN_RESAMPLES),
    seed: flags.seed ?? gates.seed ?? DEFAULT_SEED,
    source: described + (flags.bands?.length ? ` + ${flags.bands.length} --band` : ''),
  };
}

export const BAND_FLAG_FORMAT =
  '[engine/]metric:stat:min..max or [engine/]metric:stat:±percent[:upper|lower], e.g. kvm/boot_time:p95:..2500 or density:mean:±10';

/**
 * A band from the command line: `[engine/]metric:stat:range`, where range is `min..max` (either
 * side may be empty for a one-sided band) or `±percent` around the baseline, optionally
 * `:upper` or `:lower` for one edge only.
 */
export function parseBandFlag(text: string): { check: CheckSpec } | { problem: InputProblem } {
  const fail = (message: string, hint?: string) => ({
    problem: commandLine('--band', `"${text}": ${message}`, BAND_FLAG_FORMAT, hint),
  });
  const parts = text.split(':');
  if (parts.length < 3 || parts.length > 4) return fail('expected three or four parts separated by ":"');
  const [target, stat, range, side] = parts as [string, string, string, string | undefined];
  const slash = target.indexOf('/');
  const engine = slash >= 0 ? target.slice(0, slash) : undefined;
  const metric = slash >= 0 ? target.slice(slash + 1) : target;
  if (!isKnownMetric(metric))
    return fail(`unknown metric "${metric}"`, didYouMean(metric, fixedMetricIds()) ?? 'run `virtbench list metrics`');
  if (!(BAND_STATS as readonly string[]).includes(stat))
    return fail(`unknown statistic "${stat}"`, didYouMean(stat, BAND_STATS) ?? `one of ${BAND_STATS.join(', ')}`);
  const number = (value: string): number | undefined => (value.trim() === '' ? undefined : Number(value));
  let band: BandSpec;
  const percent = /^(?:±|\+-)(.+)$/.exec(range);
  if (percent) {
    const value = Number(percent[1]!.replace(/%$/, ''));
    if (!Number.isFinite(value) || value <= 0) return fail(`"${percent[1]}" is not a positive percent`);
    if (side !== undefined && !(BAND_SIDES as readonly string[]).includes(side))
      return fail(`unknown side "${side}"`, `one of ${BAND_SIDES.join(', ')}`);
    band = { stat: stat as BandSpec['stat'], percent: value, side: (side as BandSpec['side']) ?? 'both' };
  } else {
    const bounds = range.split('..');
    if (bounds.length !== 2 || side !== undefined)
      return fail('range must be min..max (one side may be empty) or ±percent');
    const min = number(bounds[0]!);
    const max = number(bounds[1]!);
    if ((min !== undefined && !Number.isFinite(min)) || (max !== undefined && !Number.isFinite(max)))
      return fail('bounds must be numbers');
    if (min === undefined && max === undefined) return fail('give at least one of min and max');
    band = {
      stat: stat as BandSpec['stat'],
      ...(min !== undefined ? { min } : {}),
      ...(max !== undefined ? { max } : {}),
    };
    const problem = bandProblems(band)[0];
    if (problem) return fail(problem.message);
  }
  return {
    check: {
      metric,
      ...(engine ? { engines: [engine] } : {}),
      test: { type: 'band', band },
      origin: { file: 'command line' },
      path: '--band',
      explicit: true,
    },
  };
}
