import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { retentionFor, runBatch } from '../pool/batch.js';
import { planCells } from '../runner.js';
import { loadScenario } from '../scenario/load.js';
import { median } from '../stats.js';

/**
 * What this machine gives two threads of a sweep with no pool at all: the sweep's cells split in
 * advance, every other cell to each half, run by one thread alone, by two threads of one process
 * and by two processes, each timed from its own start (modules and scenario included) to the end
 * of its last cell, and writing no reports. If the pool's speed-up falls short of these, the pool
 * loses time; if these fall short too, the host does.
 *
 *   node dist/bench/self/split-sweep.js <scenario> [--rounds 3]
 */

interface Half {
  readonly file: string;
  readonly part: number;
  readonly parts: number;
}

async function runHalf({ file, part, parts }: Half): Promise<void> {
  const scenario = await loadScenario(file);
  const plans = planCells(scenario);
  const retention = retentionFor(scenario, plans.length);
  for (let i = part; i < plans.length; i += parts) await runBatch(scenario, [plans[i]!], retention);
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** A fresh process for each measurement, so that no mode starts with code another compiled. */
function childSeconds(file: string, part: number, parts: number, mode = 'part'): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [process.argv[1]!, `--${mode}`, file, String(part), String(parts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(Number(out.trim())) : fail(new Error(`split-sweep child exited with ${code}`))));
  });
}

async function twoProcesses(file: string): Promise<number> {
  const started = performance.now();
  await Promise.all([childSeconds(file, 0, 2), childSeconds(file, 1, 2)]);
  return seconds(started);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--part' || args[0] === '--threads') {
    const started = performance.now();
    const [file, part, parts] = [args[1]!, Number(args[2]), Number(args[3])];
    if (args[0] === '--part') await runHalf({ file, part, parts });
    else {
      const helper = new Worker(new URL(import.meta.url), { workerData: { file, part: 1, parts: 2 } satisfies Half });
      const helped = new Promise((done, fail) => helper.once('message', done).once('error', fail));
      await runHalf({ file, part: 0, parts: 2 });
      await helped;
      await helper.terminate();
    }
    process.stdout.write(`${seconds(started)}\n`);
    return;
  }
  const file = args.find((arg) => !arg.startsWith('--'));
  if (!file) throw new Error('usage: split-sweep.js <scenario> [--rounds N]');
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args[at + 1]) : 3;
  const path = resolve(file);
  const ratios = { threads: [] as number[], processes: [] as number[] };
  for (let round = 1; round <= rounds; round++) {
    const one = await childSeconds(path, 0, 1);
    const threads = await childSeconds(path, 0, 2, 'threads');
    const processes = await twoProcesses(path);
    ratios.threads.push(one / threads);
    ratios.processes.push(one / processes);
    process.stdout.write(`round ${round}: ${one.toFixed(2)} s alone, ${threads.toFixed(2)} s on two threads, ${processes.toFixed(2)} s in two processes\n`);
  }
  const list = (values: number[]): string => values.map((v) => v.toFixed(2)).join(', ');
  process.stdout.write(`speed-up with no pool: two threads ${median(ratios.threads).toFixed(2)}x (${list(ratios.threads)}), two processes ${median(ratios.processes).toFixed(2)}x (${list(ratios.processes)})\n`);
}

if (isMainThread) await main();
else {
  await runHalf(workerData as Half);
  parentPort!.postMessage('done');
}
