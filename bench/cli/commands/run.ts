import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { writeAtomically } from '../../../engines/shared/atomic-write.js';
import { EXIT, errnoCode, type InputError, usageError } from '../../../engines/shared/errors.js';
import { hashString } from '../../../engines/shared/random.js';
import { renderHtml } from '../../report/html.js';
import { renderMarkdown } from '../../report/markdown.js';
import { hasSeries, renderSeriesCsv } from '../../report/series-csv.js';
import { renderTerminal } from '../../report/terminal.js';
import { parseShard, type ShardSpec, shardFileBase, startShard } from '../../run/shard.js';
import { type CliContext, parseList, resolveScenarioPath, terminalOptions, write } from '../context.js';
import { createProgress } from '../progress.js';
import {
  addScenarioRunOptions,
  loadScenarioWithFlags,
  runScenarioWithFlags,
  type ScenarioRunFlags,
} from '../scenario-run.js';
import { writeReports } from './gate.js';

export interface RunFlags extends ScenarioRunFlags {
  out: string;
  engines?: string[];
  quiet?: boolean;
  color?: boolean;
  shard?: ShardSpec;
  markdown?: string;
  html?: string;
}

/**
 * `--out` must be a folder this process can create files in: a file, a read-only folder or a
 * pseudo-file system like /proc is bad input, refused before anything runs (exit 2).
 */
async function checkOutputFolder(dir: string): Promise<void> {
  const refuse = (reason: string): InputError =>
    usageError(`--out ${dir}: ${reason}`, 'give a folder you can write to, e.g. --out reports');
  const existing = await stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw refuse('is not a folder');
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw refuse(`cannot be created (${errnoCode(error) ?? String(error)})`);
  }
  const probe = join(dir, `.virtbench-probe-${process.pid}.tmp`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    throw refuse(`no file can be created in it (${errnoCode(error) ?? String(error)})`);
  }
  await rm(probe, { force: true });
}

/** `--engines`: an empty selection would run nothing and still write a report, so it is refused. */
function parseEngineSelection(value: string): string[] {
  const ids = parseList(value);
  if (ids.length === 0)
    throw new InvalidArgumentError(
      'names no engine: give comma-separated engine ids, e.g. docker,kvm (virtbench list engines)',
    );
  return ids;
}

/** Longest engine list spelled out in a file name; a longer one is named by its count and digest. */
const MOST_SELECTION_CHARS = 60;

/**
 * The file name of a run of some of the engines: `<name>.engines-<ids>`, so that it never
 * replaces the full run's report (which a gate or a baseline may read).
 */
export function selectionFileName(name: string, engines: readonly string[]): string {
  const spelled = engines.map((id) => id.replace(/[^A-Za-z0-9_-]+/g, '_')).join('-');
  if (spelled.length <= MOST_SELECTION_CHARS) return `${name}.engines-${spelled}`;
  return `${name}.engines-${engines.length}-${hashString(engines.join(',')).toString(16)}`;
}

export function register(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const command = program
    .command('run')
    .description('run a scenario and write <out>/<name>.csv and .json (default: scenarios/seed-comparison.yaml)')
    .argument('[scenario]', 'scenario YAML file')
    .option('-o, --out <dir>', 'output folder', 'reports')
    .option(
      '-e, --engines <ids>',
      "comma-separated engine ids to run instead of the scenario list (writes <name>.engines-<ids>.*, never the full run's files)",
      parseEngineSelection,
    )
    .option(
      '--shard <i/n>',
      'run only shard i of n of the cells (write <name>.shard-i-of-n.*; combine with `virtbench merge`)',
      parseShard,
    )
    .option('--markdown <file>', 'also write the Markdown report here')
    .option('--html <file>', 'also write the self-contained HTML report here')
    .option('-q, --quiet', 'no progress and no tables: print where the reports went, and failures (on stderr)')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour');
  addScenarioRunOptions(command).action(async (scenarioArg: string | undefined, flags: RunFlags) => {
    const file = resolveScenarioPath(scenarioArg, context);
    const scenario = await loadScenarioWithFlags(file, flags, flags.engines);
    await checkOutputFolder(flags.out);
    const shard = flags.shard ? startShard(scenario, flags.shard) : undefined;
    const name = flags.engines ? selectionFileName(scenario.name, flags.engines) : scenario.name;
    const base = join(flags.out, shard ? shardFileBase(name, shard.spec) : name);
    // Rows stream to disk as cells finish, in canonical order, whichever worker ran them.
    const progress = createProgress(context, { quiet: flags.quiet });
    const run = await runScenarioWithFlags(scenario, flags, {
      ...(shard ? shard.options() : {}),
      ...(shard ? { finish: (ran) => shard.finish(ran) } : {}),
      base,
      onProgress: (done, total) => progress.update(done, total),
      // A reason to doubt the figures is never quiet.
      onWarning: (warning) => write(context.stderr, `warning: ${warning}`),
    }).finally(() => progress.stop());
    const result = run.result;
    if (!flags.quiet) write(context.stdout, renderTerminal(result, terminalOptions(context, flags.color)));
    if (hasSeries(result)) {
      // Curves measured point by point get a CSV of their own beside the summary rows.
      await writeAtomically([{ path: `${base}.series.csv`, content: renderSeriesCsv(result) }]);
      write(context.stdout, `wrote ${base}.csv, ${base}.json and ${base}.series.csv`);
    } else write(context.stdout, `wrote ${base}.csv and ${base}.json`);
    if (flags.markdown || flags.html) {
      const written = await writeReports(context, flags, {
        markdown: () => renderMarkdown({ result, mode: 'result' }),
        html: () => renderHtml({ result, mode: 'result' }),
      });
      write(context.stdout, `wrote ${written.join(', ')}`);
    }
    const failed = result.claims.filter((c) => c.holds === false);
    if (failed.length > 0) {
      // Reasons go to stderr even with --quiet, which silences only progress and tables.
      const reasons = failed.flatMap((c) => [`✗ ${c.id}: ${c.text}`, ...c.evidence.map((line) => `    ${line}`)]);
      write(
        context.stderr,
        [`${failed.length} claim(s) failed: ${failed.map((c) => c.id).join(', ')}`, ...reasons].join('\n'),
      );
      setExit(EXIT.failed);
    }
  });
}
