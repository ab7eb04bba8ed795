import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Bench } from 'tinybench';
import { buildCell, planCells } from '../../bench/run/plan.js';
import { loadScenario } from '../../bench/scenario/load.js';
import { simulateStorm } from '../../engines/model/storm.js';
import type { ModeledEngine } from '../../engines/modeled/define.js';
import { writeAtomically } from '../../engines/shared/atomic-write.js';
import { currentEnvironment, packageRoot } from '../../engines/shared/environment.js';
import { median } from '../../engines/shared/stats.js';
import { describeStartup, measureFreshInstall, measureRunCpu, startupTargets } from './startup.js';

/**
 * virtbench's own benchmarks, run by `npm run bench`: how fast the boot-storm simulator is, how
 * sweeps scale across worker threads, and how much memory a large sweep needs. Results go to
 * test/perf/results.json. Timings on a shared machine are noisy, so every figure is a median of
 * several runs, and the sweep speed-up is the median of ratios measured back to back.
 */

const root = packageRoot();
const STORM_INSTANCES = 100_000;
const SWEEP_ROUNDS = 5;
const TARGETS = { stormSeconds: 2, speedup: 1.7, peakRssMiB: 300 } as const;

interface Target {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean;
}

/** The boot-storm scenario's engines, each starting 100,000 instances at once. */
async function stormBenchmark() {
  const scenario = await loadScenario(join(root, 'scenarios/boot-storm.yaml'));
  const bench = new Bench({ name: 'boot storm', iterations: 5, time: 0, warmupIterations: 1, warmupTime: 0 });
  const events = new Map<string, number>();
  for (const entry of scenario.engines) {
    const engine = entry.engine as ModeledEngine;
    const cell = buildCell(scenario, entry, {});
    bench.add(engine.id, () => {
      const storm = simulateStorm(engine.spec, cell, { ...cell.storm!, instances: STORM_INSTANCES });
      events.set(engine.id, storm.events);
    });
  }
  await bench.run();
  const engines = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed')
      throw new Error(`storm benchmark ${task.name} did not complete (${result.state})`);
    const medianMs = result.latency.p50;
    const count = events.get(task.name) ?? 0;
    return { engine: task.name, medianMs, events: count, eventsPerSecond: count / (medianMs / 1000) };
  });
  const slowest = engines.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
  return { instances: STORM_INSTANCES, engines, slowestMs: slowest.medianMs, slowestEngine: slowest.engine };
}

const CONTENTION_ROUNDS = 5;

/** One `test/perf/contention.js` measurement in a fresh process: mean ms per thread. */
async function contentionRun(mode: 'alone' | 'threads'): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, '.perf/test/perf/contention.js'), mode]);
  return Number(stdout.trim());
}

/** Two processes that warm up, then time their cells together: mean ms per process. */
async function contentionPairedProcesses(): Promise<number> {
  const children = [0, 1].map(() =>
    spawn(process.execPath, [join(root, '.perf/test/perf/contention.js'), 'paired'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map((child) => {
    let text = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('ready\n')) onReady();
    });
    // 'close' waits for stdout to end; a child that ends before saying ready fails `ready` too.
    const finished = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) =>
        code === 0
          ? resolve(Number(text.trim().split('\n').pop()))
          : reject(new Error(`contention.js paired ended with ${signal ?? `exit code ${code}`}`)),
      );
    });
    return {
      ready: Promise.race([
        ready,
        finished.then(() => Promise.reject(new Error('contention.js paired ended before it was ready'))),
      ]),
      finished,
    };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
    for (const child of children) child.stdin.end('go\n');
    const times = await Promise.all(outputs.map((o) => o.finished));
    return (times[0]! + times[1]!) / 2;
  } catch (error) {
    for (const child of children) child.kill();
    await Promise.allSettled(outputs.map((o) => o.finished));
    throw error;
  }
}

/**
 * The same measurement as `contentionRun('alone')`, pinned to one CPU with `taskset`, or undefined
 * where taskset (util-linux) is missing or refuses (for example a CPU outside this process's mask).
 */
async function pinnedRun(cpu: number): Promise<number | undefined> {
  try {
    const { stdout } = await promisify(execFile)('taskset', [
      '-c',
      String(cpu),
      process.execPath,
      join(root, '.perf/test/perf/contention.js'),
      'alone',
    ]);
    return Number(stdout.trim());
  } catch {
    return undefined;
  }
}

/**
 * What this machine does to two storm cells at once: the same warmed-up cells alone, on two
 * threads of one process and in two processes, alternating. Two threads' slowdown bounds any
 * 2-thread speed-up at 2 / slowdown, however the pool schedules.
 *
 * Each round also times the cells alone on CPU 0 and then on CPU 1. A virtual machine's CPUs need
 * not be equally fast (their host may be busier under one of them). One thread on the faster CPU
 * then does better than one thread on either, and two threads get at most the two CPUs' speeds
 * added: against the faster, 1 + slower / faster, however little the threads slow each other.
 * Each CPU's figure is its median over the rounds, so that one round's noise does not decide
 * which is slower.
 */
async function contentionBenchmark() {
  const threads: number[] = [];
  const processes: number[] = [];
  const cpuMs: [number, number][] = [];
  for (let round = 0; round < CONTENTION_ROUNDS; round++) {
    const alone = await contentionRun('alone');
    threads.push((await contentionRun('threads')) / alone);
    processes.push((await contentionPairedProcesses()) / alone);
    if (availableParallelism() >= 2) {
      const pinned = [await pinnedRun(0), await pinnedRun(1)];
      if (pinned.every((ms) => ms !== undefined && ms > 0)) cpuMs.push(pinned as [number, number]);
    }
  }
  const threadSlowdown = median(threads);
  const unevenCpus = cpuMs.length > 0 ? unevenCpuLimit(cpuMs) : undefined;
  return {
    rounds: CONTENTION_ROUNDS,
    threadSlowdown,
    threads,
    processSlowdown: median(processes),
    processes,
    twoThreadLimit: 2 / threadSlowdown,
    unevenCpus,
  };
}

/** From each round's milliseconds on CPU 0 and CPU 1: each CPU's median, and the limit they set. */
function unevenCpuLimit(rounds: readonly [number, number][]) {
  const medianMs = [median(rounds.map((r) => r[0])), median(rounds.map((r) => r[1]))] as const;
  const slowerAgainstFaster = Math.min(...medianMs) / Math.max(...medianMs);
  return { rounds, medianMs, slowerAgainstFaster, twoThreadLimit: 1 + slowerAgainstFaster };
}

interface ChildRun {
  readonly code: number;
  readonly seconds: number;
  readonly peakRssMiB: number;
}

/**
 * `virtbench run <file> --workers N` in a fresh child process, as a user runs it, so one run's
 * heap never slows the next. Returns the child's own report (test/perf/sweep-rss.ts).
 */
async function runCli(file: string, workers: number, dir: string): Promise<ChildRun> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(root, '.perf/test/perf/sweep-rss.js'), 'run', file, '--quiet', '--out', dir, '--workers', String(workers)],
    { env: { ...process.env, CI: '1' }, maxBuffer: 1 << 20 },
  );
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as ChildRun;
  if (report.code !== 0) throw new Error(`virtbench run ${file} exited ${report.code}`);
  return report;
}

/**
 * A sweep with 1 worker and with one per core, alternating so both see the same machine: cells
 * per second, and peak RSS with worker threads included. Each round also runs two single-worker
 * sweeps at once, which shows what the machine gives two copies of this very workload at that
 * moment: on a shared machine no speed-up can beat it.
 */
async function sweepBenchmark(file: string, dir: string) {
  const cells = planCells(await loadScenario(file)).length;
  const cores = availableParallelism();
  const one: number[] = [];
  const many: number[] = [];
  const rss = { one: 0, many: 0 };
  const ceilings: number[] = [];
  for (let round = 0; round < SWEEP_ROUNDS; round++) {
    // Each task is one whole `virtbench run`, timed as a user sees it, Node's start included.
    const bench = new Bench({ name: 'sweep', iterations: 1, time: 0, warmup: false });
    bench.add('1 worker', async () => {
      rss.one = Math.max(rss.one, (await runCli(file, 1, join(dir, 'a'))).peakRssMiB);
    });
    bench.add(`${cores} workers`, async () => {
      rss.many = Math.max(rss.many, (await runCli(file, cores, join(dir, 'a'))).peakRssMiB);
    });
    bench.add(
      '2 x 1 worker at once',
      async () => void (await Promise.all([runCli(file, 1, join(dir, 'b')), runCli(file, 1, join(dir, 'c'))])),
    );
    await bench.run();
    const [single, parallel, pair] = bench.tasks.map((task) => {
      if (task.result.state !== 'completed')
        throw new Error(`sweep benchmark ${task.name} did not complete (${task.result.state})`);
      return task.result.latency.p50 / 1000;
    });
    one.push(single!);
    many.push(parallel!);
    ceilings.push((2 * single!) / pair!);
    process.stdout.write(
      `    round ${round + 1}: ${single!.toFixed(1)} s with 1 worker, ${parallel!.toFixed(1)} s with ${cores}, two at once ${pair!.toFixed(1)} s\n`,
    );
  }
  const ratios = one.map((seconds, i) => seconds / many[i]!);
  return {
    file: relative(root, file),
    cells,
    rounds: SWEEP_ROUNDS,
    workers: cores,
    oneWorker: { medianSeconds: median(one), cellsPerSecond: cells / median(one), peakRssMiB: rss.one },
    manyWorkers: { medianSeconds: median(many), cellsPerSecond: cells / median(many), peakRssMiB: rss.many },
    speedup: median(ratios),
    ratios,
    machineCeiling: median(ceilings),
    ceilings,
  };
}

type SweepFigures = Awaited<ReturnType<typeof sweepBenchmark>>;

function describeSweep(label: string, sweep: SweepFigures): string {
  return (
    `  ${label} (${sweep.file}, ${sweep.cells.toLocaleString('en-US')} cells): ${sweep.oneWorker.cellsPerSecond.toFixed(0)} cells/s with 1 worker, ` +
    `${sweep.manyWorkers.cellsPerSecond.toFixed(0)} with ${sweep.workers}; speed-up ${sweep.speedup.toFixed(2)}x (rounds ${sweep.ratios.map((r) => r.toFixed(2)).join(', ')})\n` +
    `    two single-worker sweeps at once ran ${sweep.machineCeiling.toFixed(2)}x one (median; ${sweep.ceilings.map((r) => r.toFixed(2)).join(', ')})\n` +
    `    peak RSS: ${sweep.oneWorker.peakRssMiB.toFixed(0)} MiB with 1 worker, ${sweep.manyWorkers.peakRssMiB.toFixed(0)} MiB with ${sweep.workers}\n`
  );
}

function line(t: Target): string {
  return `${t.met ? '✓' : '✗'} ${t.name}: ${t.value} (target ${t.target})`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'virtbench-bench-'));
  try {
    process.stdout.write('virtbench self-benchmarks (a few minutes)\n');
    process.stdout.write(`  machine: ${availableParallelism()} cores\n`);
    const storm = await stormBenchmark();
    for (const e of storm.engines) {
      process.stdout.write(
        `  storm ${e.engine.padEnd(12)} ${(e.medianMs / 1000).toFixed(3)} s, ${e.events.toLocaleString('en-US')} events, ${(e.eventsPerSecond / 1e6).toFixed(2)} M events/s\n`,
      );
    }
    const contention = await contentionBenchmark();
    process.stdout.write(
      `  contention: two storm cells at once each take ${contention.threadSlowdown.toFixed(2)}x as long on two threads ` +
        `(rounds ${contention.threads.map((r) => r.toFixed(2)).join(', ')}), ${contention.processSlowdown.toFixed(2)}x in two processes; ` +
        `no 2-thread pool can beat ${contention.twoThreadLimit.toFixed(2)}x here\n`,
    );
    const uneven = contention.unevenCpus;
    process.stdout.write(
      uneven
        ? `  one thread pinned to CPU 0, then to CPU 1: ${uneven.medianMs[0].toFixed(0)} and ${uneven.medianMs[1].toFixed(0)} ms (medians; rounds ` +
            `${uneven.rounds.map((r) => `${r[0].toFixed(0)}/${r[1].toFixed(0)}`).join(', ')}), so two threads can do at most ` +
            `${uneven.twoThreadLimit.toFixed(2)}x what one does on the faster CPU\n`
        : '  CPUs 0 and 1 not compared: this machine has one CPU, or taskset (util-linux) is missing or refused\n',
    );
    process.stdout.write('  compute-bound sweep: boot storms of 25,000 to 100,000 instances\n');
    const computeSweep = await sweepBenchmark(join(root, 'test/perf/storm-grid.yaml'), dir);
    process.stdout.write(describeSweep('compute-bound sweep', computeSweep));
    process.stdout.write('  report-bound sweep: 10,000 model cells, 120 MB of reports\n');
    const sweep = await sweepBenchmark(join(root, 'test/perf/sweep-10k.yaml'), dir);
    process.stdout.write(describeSweep('10,000-cell sweep', sweep));
    const peakRssMiB = Math.max(sweep.oneWorker.peakRssMiB, sweep.manyWorkers.peakRssMiB);
    process.stdout.write('  start-up: a default run against node -e 0, and the first npx run after a fresh install\n');
    const startup = { cpu: await measureRunCpu(15), install: await measureFreshInstall(1) };
    process.stdout.write(describeStartup(startup.cpu, startup.install));

    const targets: Target[] = [
      {
        name: `boot storm of ${STORM_INSTANCES.toLocaleString('en-US')} instances simulated (slowest engine, ${storm.slowestEngine})`,
        value: `${(storm.slowestMs / 1000).toFixed(3)} s`,
        target: `< ${TARGETS.stormSeconds} s`,
        met: storm.slowestMs / 1000 < TARGETS.stormSeconds,
      },
      {
        name: `compute-bound sweep (${computeSweep.cells} storm cells) speed-up with ${computeSweep.workers} workers against 1`,
        value:
          `${computeSweep.speedup.toFixed(2)}x; two separate processes: ${computeSweep.machineCeiling.toFixed(2)}x; two threads' limit here: ${contention.twoThreadLimit.toFixed(2)}x` +
          (uneven ? `; uneven CPUs' limit: ${uneven.twoThreadLimit.toFixed(2)}x` : ''),
        target: `>= ${TARGETS.speedup}x`,
        met: computeSweep.speedup >= TARGETS.speedup,
      },
      {
        name: `report-bound ${sweep.cells.toLocaleString('en-US')}-cell sweep speed-up with ${sweep.workers} workers against 1`,
        value: `${sweep.speedup.toFixed(2)}x; two separate processes: ${sweep.machineCeiling.toFixed(2)}x`,
        target: `>= ${TARGETS.speedup}x`,
        met: sweep.speedup >= TARGETS.speedup,
      },
      {
        name: `peak RSS of a ${sweep.cells.toLocaleString('en-US')}-cell sweep`,
        value: `${peakRssMiB.toFixed(0)} MiB`,
        target: `< ${TARGETS.peakRssMiB} MiB`,
        met: peakRssMiB < TARGETS.peakRssMiB,
      },
      ...startupTargets(startup.cpu, startup.install),
    ];
    process.stdout.write(`\n${targets.map(line).join('\n')}\n`);

    const results = {
      command: 'npm run bench',
      date: new Date().toISOString(),
      environment: currentEnvironment(),
      storm,
      contention,
      computeSweep,
      sweep,
      startup,
      targets,
    };
    const out = join(root, 'test/perf/results.json');
    await writeAtomically([{ path: out, content: `${JSON.stringify(results, null, 2)}\n` }]);
    process.stdout.write(`wrote ${out}\n`);
    if (targets.some((t) => !t.met)) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
