import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { packageRoot } from '../../engines/shared/environment.js';
import { loadCells, positions } from './cells.js';

/**
 * How much this machine slows a storm cell when two run at once: the same warmed-up cells of
 * test/perf/storm-grid.yaml, timed on one thread alone, on two threads of one process started
 * together, and in two processes started together. No pool can beat 2 / that factor, however it
 * schedules, so `npm run bench` prints it next to the sweep speed-up.
 *
 *   node .perf/test/perf/contention.js alone|threads   prints the mean milliseconds per thread
 *   node .perf/test/perf/contention.js paired          prints "ready", times its cells once a line
 *                                                      arrives on stdin, then prints milliseconds
 */

const GRID = join(packageRoot(), 'test/perf/storm-grid.yaml');
/** Cells every thread runs first, untimed, so that both time compiled code. */
const WARM_UP = [0, 6] as const;
/** The timed cells: storms of 25,000 and of 50,000 instances arriving at 1,000 per second, for each engine. */
const TIMED = [20, 30] as const;

async function timeCells(): Promise<{ warm: () => Promise<void>; timed: () => Promise<number> }> {
  const cells = await loadCells(GRID);
  const run = async ([from, to]: readonly [number, number]): Promise<number> => {
    const started = performance.now();
    await cells.run(positions(from, to));
    return performance.now() - started;
  };
  return { warm: async () => void (await run(WARM_UP)), timed: () => run(TIMED) };
}

/** The second thread: warms up, says so, and starts its timed cells when the main thread does. */
async function helperThread(): Promise<void> {
  const flags = new Int32Array(workerData as SharedArrayBuffer);
  const cells = await timeCells();
  await cells.warm();
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0, 10);
  parentPort!.postMessage(await cells.timed());
}

async function main(mode: string | undefined): Promise<number> {
  const cells = await timeCells();
  await cells.warm();
  if (mode === 'alone') return cells.timed();
  if (mode === 'paired') {
    process.stdout.write('ready\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    process.stdin.pause();
    return cells.timed();
  }
  if (mode !== 'threads') throw new Error('usage: contention.js alone|threads|paired');
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const helper = new Worker(new URL(import.meta.url), { workerData: flags.buffer });
  try {
    const theirs = new Promise<number>((resolve, reject) => helper.once('message', resolve).once('error', reject));
    while (Atomics.load(flags, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    const mine = await cells.timed();
    return (mine + (await theirs)) / 2;
  } finally {
    await helper.terminate();
  }
}

if (isMainThread) process.stdout.write(`${(await main(process.argv[2])).toFixed(1)}\n`);
else await helperThread();
