import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type OutputFile, writeAtomically } from '../../../engines/shared/atomic-write.js';
import { EXIT, InputError, usageError } from '../../../engines/shared/errors.js';
import { buildPlan, type Direction, type GateFlags, type GatesSource } from '../../gate/config.js';
import { CORRECTIONS, type Correction } from '../../gate/correction.js';
import { compareEnvironments, formatDifferences, isScenarioDifference } from '../../gate/environment.js';
import {
  type evaluateGate,
  evaluateGateInterruptibly,
  type GateReport,
  gatePassed,
  pointLabel,
} from '../../gate/evaluate.js';
import type { Statistic } from '../../gate/resampling.js';
import { renderGateTable } from '../../gate/table.js';
import { githubAnnotations, inGithubActions } from '../../report/github.js';
import { renderHtml } from '../../report/html.js';
import { renderJunit } from '../../report/junit.js';
import { renderMarkdown } from '../../report/markdown.js';
import type { RunResult } from '../../report/results.js';
import { type LoadedResult, readResultFile } from '../../report/results-file.js';
import { loadScenario } from '../../scenario/load.js';
import {
  type CliContext,
  parseCount,
  parseList,
  resolveScenarioPath,
  type TrustFlags,
  useColor,
  write,
} from '../context.js';
import { createProgress } from '../progress.js';
import {
  addScenarioRunOptions,
  loadScenarioWithFlags,
  runScenarioWithFlags,
  type ScenarioRunFlags,
} from '../scenario-run.js';

/** Flags that choose and tune checks, shared by `gate` and `compare`. */
export interface CheckFlags extends TrustFlags {
  gates?: string;
  metrics?: string[];
  band?: string[];
  statistic?: Statistic;
  alpha?: number;
  threshold?: number;
  direction?: Direction;
  correction?: Correction;
  resamples?: number;
  permutationSeed?: number;
  markdown?: string;
  html?: string;
  color?: boolean;
  quiet?: boolean;
}

function parseProbability(value: string): number {
  const number = Number(value);
  if (!/^\d*\.?\d+(e-?\d+)?$/i.test(value) || !(number > 0 && number < 1))
    throw new InvalidArgumentError('must be a number between 0 and 1, for example 0.01');
  return number;
}

function parsePercent(value: string): number {
  const number = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(number) || number < 0)
    throw new InvalidArgumentError('must be a percentage of 0 or more, for example 5');
  return number;
}

export function addCheckOptions(command: Command): Command {
  return command
    .option('--gates <scenario>', 'take checks from the `gates:` block of this scenario file')
    .option(
      '--metrics <ids>',
      'A/B-check exactly these metrics (comma-separated, or "all"), replacing the gates block',
      parseList,
    )
    .option(
      '--band <spec>',
      'add a band check: [engine/]metric:stat:min..max or [engine/]metric:stat:±percent[:upper|lower] (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(
      new Option('--statistic <name>', 'A/B statistic whose difference is tested (default mean)').choices([
        'mean',
        'median',
      ]),
    )
    .option('--alpha <p>', 'significance level after correction (default 0.01)', parseProbability)
    .option(
      '--threshold <percent>',
      'noise threshold: smallest change that may fail, in percent (default 5)',
      parsePercent,
    )
    .addOption(
      new Option('--direction <which>', 'worse: only regressions fail (default); either: any change fails').choices([
        'worse',
        'either',
      ]),
    )
    .addOption(
      new Option('--correction <method>', 'multiple-comparison control across the gate (default holm)').choices([
        ...CORRECTIONS,
      ]),
    )
    .option(
      '--resamples <n>',
      'permutation resamples, at least 9999 (default 9999, raised when many checks share α)',
      parseCount('--resamples', 9999),
    )
    .option(
      '--permutation-seed <n>',
      'seed of the permutation and bootstrap resampling (default 1)',
      parseCount('--permutation-seed'),
    )
    .option('--markdown <file>', 'also write the Markdown report here')
    .option('--html <file>', 'also write the self-contained HTML report here')
    .option('-q, --quiet', 'no progress and no table: print only failures (on stderr) and where reports went')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour');
}

/**
 * Evaluates the checks with a progress bar on stderr (unless --quiet) and stays interruptible:
 * Ctrl-C stops a long resampling promptly.
 */
export async function evaluateChecks(
  context: CliContext,
  flags: { quiet?: boolean },
  ...[baseline, current, plan, options]: Parameters<typeof evaluateGate>
): Promise<GateReport> {
  const progress = createProgress(context, { quiet: flags.quiet, unit: 'checks' });
  return evaluateGateInterruptibly(baseline, current, plan, {
    ...options,
    onProgress: (done, total) => progress.update(done, total),
  }).finally(() => progress.stop());
}

export function gateFlags(flags: CheckFlags): GateFlags {
  const metrics =
    flags.metrics === undefined
      ? undefined
      : flags.metrics.length === 1 && flags.metrics[0] === 'all'
        ? ('all' as const)
        : flags.metrics;
  return {
    statistic: flags.statistic,
    alpha: flags.alpha,
    threshold: flags.threshold,
    direction: flags.direction,
    correction: flags.correction,
    resamples: flags.resamples,
    seed: flags.permutationSeed,
    metrics,
    bands: flags.band,
  };
}

export function inputPath(path: string, context: CliContext): string {
  return isAbsolute(path) ? path : resolve(context.cwd, path);
}

export async function readResult(path: string, context: CliContext): Promise<LoadedResult> {
  const loaded = await readResultFile(inputPath(path, context));
  return { ...loaded, file: path };
}

/** The `gates:` block of a scenario file given with --gates; its module engines are checked, not run. */
export async function gatesFromFile(file: string, context: CliContext, flags: TrustFlags): Promise<GatesSource> {
  const scenario = await loadScenario(inputPath(file, context), {
    allowOutsideModules: flags.allowOutsideModules,
    loadModules: false,
  });
  if (!scenario.document.gates) throw usageError(`${file} has no gates: block`, 'see docs/gates.md for its format');
  return { file, gates: scenario.document.gates };
}

/** Writes the requested report files, and the Markdown into the GitHub job summary when there is one. */
export async function writeReports(
  context: CliContext,
  flags: { markdown?: string; html?: string; junit?: string },
  render: { markdown: () => string; html: () => string; junit?: () => string },
): Promise<string[]> {
  const files: OutputFile[] = [];
  if (flags.markdown) files.push({ path: inputPath(flags.markdown, context), content: render.markdown() });
  if (flags.html) files.push({ path: inputPath(flags.html, context), content: render.html() });
  if (flags.junit && render.junit) files.push({ path: inputPath(flags.junit, context), content: render.junit() });
  await writeAtomically(files);
  const summary = context.env.GITHUB_STEP_SUMMARY;
  if (summary) await appendFile(summary, `${render.markdown()}\n`, 'utf8');
  return [flags.markdown, flags.html, flags.junit].filter((f): f is string => f !== undefined);
}

interface GateCommandFlags extends CheckFlags, ScenarioRunFlags {
  baseline: string;
  current?: string;
  force?: boolean;
  junit?: string;
}

/** The scenario to run when only a baseline is given: the one the baseline was made from. */
function scenarioOfBaseline(baseline: LoadedResult, context: CliContext): string {
  const file = baseline.result.scenario.file;
  if (!existsSync(inputPath(file, context))) {
    throw usageError(
      `the baseline's scenario file ${file} is not here`,
      'pass the scenario to run (virtbench gate --baseline B.json scenario.yaml) or a result (--current results.json)',
    );
  }
  return file;
}

export function refuseShard(result: object, label: string): void {
  if ('shard' in result)
    throw usageError(
      `${label} is a single shard of a run`,
      'combine the shards with `virtbench merge` first, then use the merged result',
    );
}

/**
 * Refuses results whose scenario, hardware or environment differ, naming the fields, unless
 * forced; with --force, or for compare, the differences become a warning.
 */
export function checkEnvironments(
  baseline: RunResult,
  current: RunResult,
  flags: { force?: boolean; baseline?: string },
  context: CliContext,
  currentLabel: string,
  refuse = true,
): void {
  const blocking = compareEnvironments(baseline, current).blocking;
  if (blocking.length === 0) return;
  if (!refuse || flags.force) {
    write(
      context.stderr,
      `warning: comparing despite differences that can move the figures${flags.force ? ' (--force)' : ''}:\n  ${formatDifferences(blocking).join('\n  ')}`,
    );
    return;
  }
  const scenario = blocking.some(isScenarioDifference);
  const machine = blocking.some((d) => !isScenarioDifference(d));
  const what = [scenario ? 'scenarios' : '', machine ? 'hardware or environments' : ''].filter(Boolean).join(', ');
  throw new InputError({
    location: { file: flags.baseline ?? 'baseline' },
    path: '',
    message: `refusing to compare results from different ${what} (${currentLabel}); differing fields:\n    ${formatDifferences(blocking).join('\n    ')}`,
    hint: [
      scenario
        ? 'gate against a baseline of this scenario (`virtbench baseline update <scenario>`)'
        : 'compare like with like (same modeled hardware profile; for real drivers the same host)',
      'or pass --force to compare anyway',
    ].join(', '),
  });
}

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const command = program
    .command('gate')
    .description('check a run against a baseline: exit 0 when every check holds, 1 when one fails, 2 for bad input')
    .argument('[scenario]', "scenario to run now (default: the baseline's scenario)")
    .requiredOption('-b, --baseline <file>', 'baseline JSON result (reports/baselines/<name>.json)')
    .option('-c, --current <file>', 'gate this JSON result instead of running a scenario')
    .option('--force', 'compare even when hardware or environment differ')
    .option('--junit <file>', 'also write JUnit XML, one test case per check');
  addCheckOptions(addScenarioRunOptions(command)).action(
    async (scenarioArg: string | undefined, flags: GateCommandFlags) => {
      if (flags.current && scenarioArg) throw usageError('give either a scenario to run or --current, not both');
      if (flags.current && (flags.seed !== undefined || flags.repetitions !== undefined)) {
        throw usageError(
          '--seed and --repetitions change a scenario run, and --current gates a saved result',
          'drop them, or gate a scenario run instead of --current',
        );
      }
      const baseline = await readResult(flags.baseline, context);
      let current: RunResult;
      let currentLabel: string;
      let gates: GatesSource | undefined;
      if (flags.current) {
        current = (await readResult(flags.current, context)).result;
        currentLabel = flags.current;
      } else {
        const file = scenarioArg ? resolveScenarioPath(scenarioArg, context) : scenarioOfBaseline(baseline, context);
        const scenario = await loadScenarioWithFlags(inputPath(file, context), flags);
        current = (await runScenarioWithFlags(scenario, flags)).result;
        currentLabel = `${file} (run now, seed ${scenario.seed})`;
        if (scenario.document.gates) gates = { file, gates: scenario.document.gates };
      }
      if (flags.gates) gates = await gatesFromFile(flags.gates, context, flags);
      refuseShard(baseline.raw, flags.baseline);
      refuseShard(current, currentLabel);
      checkEnvironments(baseline.result, current, flags, context, currentLabel);

      const plan = await buildPlan(gates, gateFlags(flags));
      const report = await evaluateChecks(context, flags, baseline.result, current, plan, {
        baselineLabel: flags.baseline,
        currentLabel,
      });

      if (!flags.quiet) write(context.stdout, renderGateTable(report, { color: useColor(context, flags.color) }));
      if (inGithubActions(context.env)) context.stdout.write(githubAnnotations(report));
      const written = await writeReports(context, flags, {
        markdown: () => renderMarkdown({ result: current, baseline: baseline.result, gate: report, mode: 'gate' }),
        html: () => renderHtml({ result: current, baseline: baseline.result, gate: report, mode: 'gate' }),
        junit: () => renderJunit(report),
      });
      if (written.length > 0) write(context.stdout, `wrote ${written.join(', ')}`);
      if (!gatePassed(report)) {
        // The reasons go to stderr even with --quiet.
        const failed = report.checks.filter((check) => !check.passed);
        const lines = failed.map((check) => {
          const point = pointLabel(check.params);
          return `✗ ${check.engine} ${check.metric}${point ? ` ${point}` : ''}: ${check.verdict}`;
        });
        write(context.stderr, [`gate failed: ${failed.length} of ${report.checks.length} checks`, ...lines].join('\n'));
        setExit(EXIT.failed);
      }
    },
  );
}
