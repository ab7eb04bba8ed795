import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BatchTiming, epochMs } from '../../bench/run/pool/encode.js';
import { runScenario } from '../../bench/run/run.js';
import { loadScenario } from '../../bench/scenario/load.js';

/**
 * Where a sweep's time goes on threads: the sweep with 1 worker and with N, each in a fresh
 * process, every batch timed by the thread that ran it (FileRunOptions.onBatchTimed).
 *
 *   npm run build:perf && node .perf/test/perf/trace-sweep.js test/perf/storm-grid.yaml [--workers 2]
 *
 * It prints, per thread, how long it computed and when it started and stopped; how much longer a
 * cell took with N threads than alone, over all cells and over the first ten; and cells per
 * second once every thread has been computing for a second.
 */

interface Trace {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly batches: readonly BatchTiming[];
}

const STEADY_AFTER_MS = 1000;

/** One run in this process, as the child of `main`. */
async function traceRun(file: string, workers: number): Promise<Trace> {
  const scenario = await loadScenario(file);
  const dir = await mkdtemp(join(tmpdir(), 'virtbench-trace-'));
  const batches: BatchTiming[] = [];
  const startedAt = performance.timeOrigin;
  try {
    await runScenario(scenario, {
      base: join(dir, 'trace'),
      workers,
      onBatchTimed: (timing) => batches.push(timing),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { startedAt, endedAt: epochMs(), batches };
}

/** Milliseconds per cell, by cell index, spreading a batch's time evenly over its cells. */
function cellTimes(trace: Trace): Map<number, number> {
  const times = new Map<number, number>();
  for (const batch of trace.batches) {
    for (const cell of batch.cells) times.set(cell, (batch.endedAt - batch.startedAt) / batch.cells.length);
  }
  return times;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Cells per second from STEADY_AFTER_MS after the last thread's first batch to the end of the last batch. */
function steadyRate(trace: Trace): number | undefined {
  const firstByThread = new Map<number, number>();
  for (const batch of trace.batches)
    firstByThread.set(batch.thread, Math.min(firstByThread.get(batch.thread) ?? Infinity, batch.startedAt));
  const from = Math.max(...firstByThread.values()) + STEADY_AFTER_MS;
  const until = Math.max(...trace.batches.map((batch) => batch.endedAt));
  if (until <= from) return undefined;
  const cells = sum(trace.batches.filter((batch) => batch.startedAt >= from).map((batch) => batch.cells.length));
  return cells / ((until - from) / 1000);
}

function describe(label: string, trace: Trace): string {
  const lines = [`${label}: ${((trace.endedAt - trace.startedAt) / 1000).toFixed(2)} s from process start to end`];
  const threads = [...new Set(trace.batches.map((batch) => batch.thread))].sort((a, b) => a - b);
  for (const thread of threads) {
    const own = trace.batches.filter((batch) => batch.thread === thread);
    const busy = sum(own.map((batch) => batch.endedAt - batch.startedAt));
    const first = Math.min(...own.map((batch) => batch.startedAt)) - trace.startedAt;
    const last = Math.max(...own.map((batch) => batch.endedAt)) - trace.startedAt;
    lines.push(
      `  ${thread === 0 ? 'main thread' : `worker ${thread}`}: ${sum(own.map((batch) => batch.cells.length))} cells in ${own.length} batches, ` +
        `computing ${(busy / 1000).toFixed(2)} s, first batch at ${(first / 1000).toFixed(2)} s, last done at ${(last / 1000).toFixed(2)} s`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(`${JSON.stringify(await traceRun(args[1]!, Number(args[2])))}\n`);
    return;
  }
  const file = args.find((arg) => !arg.startsWith('--'));
  if (!file) throw new Error('usage: trace-sweep.js <scenario> [--workers N]');
  const at = args.indexOf('--workers');
  const workers = at >= 0 ? Number(args[at + 1]) : 2;
  const run = async (count: number): Promise<Trace> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [process.argv[1]!, '--child', resolve(file), String(count)],
      { maxBuffer: 64 << 20 },
    );
    return JSON.parse(stdout) as Trace;
  };
  const alone = await run(1);
  const shared = await run(workers);
  process.stdout.write(`${describe('1 worker', alone)}\n${describe(`${workers} workers`, shared)}\n`);

  const aloneTimes = cellTimes(alone);
  const sharedTimes = cellTimes(shared);
  const ratio = (cells: number[]): number =>
    sum(cells.map((cell) => sharedTimes.get(cell)!)) / sum(cells.map((cell) => aloneTimes.get(cell)!));
  const all = [...aloneTimes.keys()].filter((cell) => sharedTimes.has(cell)).sort((a, b) => a - b);
  process.stdout.write(
    `a cell took ${ratio(all).toFixed(2)}x as long with ${workers} workers as with 1 (first ten cells: ${ratio(all.slice(0, 10)).toFixed(2)}x)\n`,
  );
  const [oneRate, manyRate] = [steadyRate(alone), steadyRate(shared)];
  if (oneRate !== undefined && manyRate !== undefined) {
    process.stdout.write(
      `once every thread has computed for ${STEADY_AFTER_MS / 1000} s: ${oneRate.toFixed(1)} cells/s with 1 worker, ` +
        `${manyRate.toFixed(1)} with ${workers} (${(manyRate / oneRate).toFixed(2)}x)\n`,
    );
  }
}

await main();
