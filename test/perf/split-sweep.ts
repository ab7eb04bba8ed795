import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { median } from '../../engines/shared/stats.js';
import { loadCells, positions } from './cells.js';

/**
 * What this machine gives two threads of a sweep with no pool at all: the sweep's cells split in
 * advance, every other cell to each half, run by one thread alone, by two threads of one process
 * and by two processes, writing no reports. Every mode is timed the same way, from spawning its
 * process(es) to their exit, so Node's start and the scenario count in each. If the pool's
 * speed-up falls short of these, the pool loses time; if these fall short too, the host does.
 *
 *   node .perf/test/perf/split-sweep.js <scenario> [--rounds 3]
 */

interface Half {
  readonly file: string;
  readonly part: number;
  readonly parts: number;
}

async function runHalf({ file, part, parts }: Half): Promise<void> {
  const cells = await loadCells(file);
  await cells.run(positions(part, cells.count, parts));
}

/** Runs this script as a child in `mode`; resolves when it has exited successfully. */
function child(
  mode: '--half' | '--threads',
  file: string,
  part = 0,
  parts = 1,
): { process: ChildProcess; done: Promise<void> } {
  const started = spawn(process.execPath, [process.argv[1]!, mode, file, String(part), String(parts)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const done = new Promise<void>((resolveDone, fail) => {
    started.once('error', fail);
    started.once('close', (code, signal) =>
      code === 0
        ? resolveDone()
        : fail(new Error(`split-sweep ${mode} child ended with ${signal ?? `exit code ${code}`}`)),
    );
  });
  return { process: started, done };
}

/** Wall-clock seconds from spawning the children to the last one's exit; a failure stops the others. */
async function timeChildren(children: ReturnType<typeof child>[]): Promise<number> {
  const started = performance.now();
  try {
    await Promise.all(children.map((c) => c.done));
  } catch (error) {
    for (const c of children) c.process.kill();
    await Promise.allSettled(children.map((c) => c.done));
    throw error;
  }
  return (performance.now() - started) / 1000;
}

/** Child modes: one half (or all) of the cells, or both halves on two threads of this process. */
async function runChild(mode: string, [file, part, parts]: string[]): Promise<void> {
  if (mode === '--half') return runHalf({ file: file!, part: Number(part), parts: Number(parts) });
  const helper = new Worker(new URL(import.meta.url), {
    workerData: { file: file!, part: 1, parts: 2 } satisfies Half,
  });
  const helped = new Promise<void>((resolveHelped, fail) => {
    helper.once('message', () => resolveHelped());
    helper.once('error', fail);
    helper.once('exit', (code) =>
      fail(new Error(`split-sweep helper thread exited with code ${code} before finishing`)),
    );
  });
  // If this thread's half fails first, the helper's end must not surface as a second, unhandled error.
  helped.catch(() => undefined);
  try {
    await runHalf({ file: file!, part: 0, parts: 2 });
    await helped;
  } finally {
    await helper.terminate();
  }
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--half' || mode === '--threads') return runChild(mode, rest);
  const { values, positionals } = parseArgs({
    options: { rounds: { type: 'string', default: '3' } },
    allowPositionals: true,
  });
  const rounds = Number(values.rounds);
  if (positionals.length !== 1 || !Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write('usage: split-sweep.js <scenario> [--rounds N], N a whole number from 1\n');
    process.exitCode = 2;
    return;
  }
  const file = resolve(positionals[0]!);
  const ratios = { threads: [] as number[], processes: [] as number[] };
  for (let round = 1; round <= rounds; round++) {
    const one = await timeChildren([child('--half', file)]);
    const threads = await timeChildren([child('--threads', file)]);
    const processes = await timeChildren([child('--half', file, 0, 2), child('--half', file, 1, 2)]);
    ratios.threads.push(one / threads);
    ratios.processes.push(one / processes);
    process.stdout.write(
      `round ${round}: ${one.toFixed(2)} s alone, ${threads.toFixed(2)} s on two threads, ${processes.toFixed(2)} s in two processes\n`,
    );
  }
  const list = (values: number[]): string => values.map((v) => v.toFixed(2)).join(', ');
  process.stdout.write(
    `speed-up with no pool: two threads ${median(ratios.threads).toFixed(2)}x (${list(ratios.threads)}), two processes ${median(ratios.processes).toFixed(2)}x (${list(ratios.processes)})\n`,
  );
}

if (isMainThread) await main();
else {
  await runHalf(workerData as Half);
  parentPort!.postMessage('done');
}
