import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { writeAtomically } from '../../engines/shared/atomic-write.js';
import { currentEnvironment, packageRoot } from '../../engines/shared/environment.js';
import { median } from '../../engines/shared/stats.js';

/**
 * How long virtbench takes to start, as a user sees it:
 *
 * - the CPU (user + system) of a default `virtbench run --out <tmp> --quiet` against that of
 *   `node -e 0`, both whole processes, measured alternately so that both see the same machine;
 * - the first `npx virtbench run` after a fresh install: a `git clone` of this repository's HEAD
 *   into a temporary folder, `npm ci --prefer-offline --no-audit --no-fund`, then the first run,
 *   which includes what npx does on its first call (it installs the package into its cache and
 *   runs its prepare script).
 *
 * Every figure is a median over rounds. Results go to test/perf/startup-results.json.
 *
 *   npm run bench:startup [-- --rounds 15 --installs 1]
 */

const root = packageRoot();
const exec = promisify(execFile);
export const STARTUP_TARGETS = { cpuRatio: 4, firstRunSeconds: 3 } as const;

/** One process's wall time and CPU time (user + system), in seconds. */
interface ProcessTime {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * Runs `command` with its output discarded and returns what bash's `time` reports for it: the
 * wall time, and the user and system CPU of the process and everything it started, in
 * milliseconds (from getrusage). Throws when the command fails.
 */
async function timeProcess(command: readonly string[], cwd = root): Promise<ProcessTime> {
  const script = 'TIMEFORMAT="%3R %3U %3S"; time "$@" >/dev/null 2>&1';
  try {
    const { stderr } = await exec('bash', ['-c', script, 'bash', ...command], { cwd, maxBuffer: 1 << 20 });
    const [wall, user, sys] = stderr.trim().split('\n').pop()!.split(' ').map(Number);
    if (![wall, user, sys].every((n) => Number.isFinite(n))) throw new Error(`bash time printed ${stderr}`);
    return { wall: wall!, cpu: user! + sys! };
  } catch (error) {
    throw new Error(`${command.join(' ')} failed in ${cwd}: ${error instanceof Error ? error.message : error}`);
  }
}

export interface CpuFigures {
  readonly rounds: number;
  readonly nodeCpuSeconds: number;
  readonly runCpuSeconds: number;
  readonly runWallSeconds: number;
  /** Median of each round's run CPU over that round's `node -e 0` CPU. */
  readonly cpuRatio: number;
  readonly perRound: readonly { readonly node: ProcessTime; readonly run: ProcessTime }[];
}

/** `node -e 0` and a default `virtbench run`, alternating, `rounds` times after one warm-up of each. */
export async function measureRunCpu(rounds: number): Promise<CpuFigures> {
  const out = await mkdtemp(join(tmpdir(), 'virtbench-startup-'));
  try {
    const node = [process.execPath, '-e', '0'];
    const run = [process.execPath, join(root, 'bin/virtbench.js'), 'run', '--out', out, '--quiet'];
    // The first of each reads its files from disk; the rounds measure a warm file cache.
    await timeProcess(node);
    await timeProcess(run);
    const perRound: { node: ProcessTime; run: ProcessTime }[] = [];
    for (let round = 0; round < rounds; round++) {
      perRound.push({ node: await timeProcess(node), run: await timeProcess(run) });
    }
    return {
      rounds,
      nodeCpuSeconds: median(perRound.map((r) => r.node.cpu)),
      runCpuSeconds: median(perRound.map((r) => r.run.cpu)),
      runWallSeconds: median(perRound.map((r) => r.run.wall)),
      cpuRatio: median(perRound.map((r) => r.run.cpu / r.node.cpu)),
      perRound,
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

export interface InstallFigures {
  readonly installs: number;
  readonly commit: string;
  readonly npmCiSeconds: number;
  readonly firstRunSeconds: number;
  readonly firstRunCpuSeconds: number;
  /** The second `npx virtbench run`, which finds the package in npx's cache. */
  readonly secondRunSeconds: number;
  readonly perInstall: readonly {
    readonly npmCi: ProcessTime;
    readonly first: ProcessTime;
    readonly second: ProcessTime;
  }[];
}

/** Where npx keeps the packages it installs (`<npm cache>/_npx`). */
async function npxCacheDir(): Promise<string> {
  const { stdout } = await exec('npm', ['config', 'get', 'cache']);
  return join(stdout.trim(), '_npx');
}

/** Removes the entries npx made for `clone`, so that repeated benchmarks leave nothing behind. */
async function forgetNpxInstalls(clone: string): Promise<void> {
  const cache = await npxCacheDir();
  const entries = await readdir(cache).catch(() => [] as string[]);
  for (const entry of entries) {
    const manifest = await readFile(join(cache, entry, 'package.json'), 'utf8').catch(() => '');
    if (manifest.includes(clone)) await rm(join(cache, entry), { recursive: true, force: true });
  }
}

/** A fresh clone of HEAD, `npm ci`, then the first and second `npx virtbench run`, `installs` times. */
export async function measureFreshInstall(installs: number): Promise<InstallFigures> {
  const commit = (await exec('git', ['rev-parse', 'HEAD'], { cwd: root })).stdout.trim();
  const perInstall: { npmCi: ProcessTime; first: ProcessTime; second: ProcessTime }[] = [];
  for (let install = 0; install < installs; install++) {
    const dir = await mkdtemp(join(tmpdir(), 'virtbench-install-'));
    const clone = join(dir, 'virtbench');
    try {
      await exec('git', ['clone', '--quiet', root, clone]);
      const npmCi = await timeProcess(['npm', 'ci', '--prefer-offline', '--no-audit', '--no-fund'], clone);
      const first = await timeProcess(['npx', 'virtbench', 'run'], clone);
      const second = await timeProcess(['npx', 'virtbench', 'run'], clone);
      perInstall.push({ npmCi, first, second });
    } finally {
      await forgetNpxInstalls(clone);
      await rm(dir, { recursive: true, force: true });
    }
  }
  return {
    installs,
    commit,
    npmCiSeconds: median(perInstall.map((i) => i.npmCi.wall)),
    firstRunSeconds: median(perInstall.map((i) => i.first.wall)),
    firstRunCpuSeconds: median(perInstall.map((i) => i.first.cpu)),
    secondRunSeconds: median(perInstall.map((i) => i.second.wall)),
    perInstall,
  };
}

export interface StartupTarget {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean;
}

export function startupTargets(cpu: CpuFigures, install: InstallFigures): StartupTarget[] {
  return [
    {
      name: `CPU of a default \`virtbench run\` against \`node -e 0\` (median of ${cpu.rounds} rounds)`,
      value: `${cpu.cpuRatio.toFixed(2)}x (${cpu.runCpuSeconds.toFixed(3)} s against ${cpu.nodeCpuSeconds.toFixed(3)} s)`,
      target: `<= ${STARTUP_TARGETS.cpuRatio}x`,
      met: cpu.cpuRatio <= STARTUP_TARGETS.cpuRatio,
    },
    {
      name: 'first `npx virtbench run` after a fresh clone and `npm ci`',
      value: `${install.firstRunSeconds.toFixed(2)} s`,
      target: `< ${STARTUP_TARGETS.firstRunSeconds} s`,
      met: install.firstRunSeconds < STARTUP_TARGETS.firstRunSeconds,
    },
  ];
}

export function describeStartup(cpu: CpuFigures, install: InstallFigures): string {
  const seconds = (n: number) => `${n.toFixed(3)} s`;
  return (
    `  node -e 0: ${seconds(cpu.nodeCpuSeconds)} CPU (median of ${cpu.rounds})\n` +
    `  virtbench run --quiet: ${seconds(cpu.runCpuSeconds)} CPU, ${seconds(cpu.runWallSeconds)} wall; ` +
    `${cpu.cpuRatio.toFixed(2)}x the CPU of node -e 0 (rounds ${cpu.perRound.map((r) => (r.run.cpu / r.node.cpu).toFixed(2)).join(', ')})\n` +
    `  fresh install of ${install.commit.slice(0, 12)}: npm ci ${install.npmCiSeconds.toFixed(1)} s; ` +
    `first npx virtbench run ${install.firstRunSeconds.toFixed(2)} s wall, ${install.firstRunCpuSeconds.toFixed(2)} s CPU; ` +
    `second ${install.secondRunSeconds.toFixed(2)} s wall\n`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '15' }, installs: { type: 'string', default: '1' } },
  });
  const rounds = Number(values.rounds);
  const installs = Number(values.installs);
  const command = `npm run bench:startup -- --rounds ${rounds} --installs ${installs}`;
  const dirty = (await exec('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root })).stdout.trim();
  process.stdout.write(`virtbench start-up benchmark (${command})\n`);
  if (dirty !== '')
    process.stdout.write('  note: the fresh install clones HEAD, without the uncommitted changes in this tree\n');
  const cpu = await measureRunCpu(rounds);
  const install = await measureFreshInstall(installs);
  process.stdout.write(describeStartup(cpu, install));
  const targets = startupTargets(cpu, install);
  process.stdout.write(
    `\n${targets.map((t) => `${t.met ? '✓' : '✗'} ${t.name}: ${t.value} (target ${t.target})`).join('\n')}\n`,
  );
  const out = join(root, 'test/perf/startup-results.json');
  const results = { command, date: new Date().toISOString(), environment: currentEnvironment(), cpu, install, targets };
  await writeAtomically([{ path: out, content: `${JSON.stringify(results, null, 2)}\n` }]);
  process.stdout.write(`wrote ${relative(process.cwd(), out)}; reproduce with: ${command}\n`);
  if (targets.some((t) => !t.met)) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
