import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { renderCsv } from '../bench/report/csv.js';
import { renderJson } from '../bench/report/json.js';
import { retentionFor, runBatch } from '../bench/run/batch.js';
import { planCells } from '../bench/run/plan.js';
import type { BatchTiming } from '../bench/run/pool/encode.js';
import { poolPays, shareableKnownMs } from '../bench/run/pool/pool.js';
import { fromPortable, toPortable } from '../bench/run/pool/portable.js';
import { type RunOptions, runScenario } from '../bench/run/run.js';
import { loadScenario, type ScenarioOverrides } from '../bench/scenario/load.js';
import { defineModeledEngine } from '../engines/modeled/define.js';
import { kvm } from '../engines/modeled/kvm.js';
import { currentEnvironment, currentProvenance } from '../engines/shared/environment.js';
import { runCli, withTempDir } from './helpers.js';

const SWEEP = 'test/fixtures/pool-sweep.yaml';
const environment = currentEnvironment();
/** One start time for every run here, and no host load sampled, so that runs compare byte for byte. */
const provenance = currentProvenance();
const sampleLoad = async () => undefined;

async function runToDir(file: string, dir: string, options: RunOptions = {}, load: ScenarioOverrides = {}) {
  const scenario = await loadScenario(file, load);
  const run = await runScenario(scenario, {
    base: join(dir, scenario.name),
    environment,
    provenance,
    sampleLoad,
    ...options,
  });
  return { run, csv: await readFile(run.files!.csv, 'utf8'), json: await readFile(run.files!.json, 'utf8') };
}

describe('sweeps on a worker pool', () => {
  it('writes byte-identical CSV and JSON with 1 and 2 workers, equal to the in-memory run', async () => {
    await withTempDir(async (dir) => {
      const one = await runToDir(SWEEP, join(dir, 'one'), { workers: 1 });
      const two = await runToDir(SWEEP, join(dir, 'two'), { workers: 2, poolWorthMs: 0 });
      // Every cell on pool threads, however fast the main thread would have been.
      const pooledThreads = new Set<number>();
      const pooled = await runToDir(SWEEP, join(dir, 'pooled'), {
        workers: 2,
        mainThreadRunsCells: false,
        onBatchTimed: (timing) => pooledThreads.add(timing.thread),
      });
      expect(one.run.threadsUsed).toBe(1);
      // The threads that reported batches, none of them the main thread (0).
      expect(pooledThreads.has(0)).toBe(false);
      expect(pooled.run.threadsUsed).toBe(pooledThreads.size);
      for (const other of [two, pooled]) {
        expect(other.csv).toBe(one.csv);
        expect(other.json).toBe(one.json);
      }
      const memory = (await runScenario(await loadScenario(SWEEP), { environment, provenance, workers: 1 })).result;
      expect(one.csv).toBe(renderCsv(memory));
      expect(one.json).toBe(renderJson(memory));
      expect(two.run.result.claims).toEqual(memory.claims);
      expect(two.run.result.rows).toEqual(memory.rows);
    });
  });

  it('reports which thread ran every batch, and when, each cell once', async () => {
    await withTempDir(async (dir) => {
      const cellCount = planCells(await loadScenario(SWEEP)).length;
      for (const [options, onWorkers] of [
        [{ workers: 1 }, false],
        [{ workers: 2, mainThreadRunsCells: false }, true],
      ] as const) {
        const timings: BatchTiming[] = [];
        await runToDir(SWEEP, join(dir, String(onWorkers)), {
          ...options,
          onBatchTimed: (timing) => timings.push(timing),
        });
        expect(timings.flatMap((t) => t.cells).sort((a, b) => a - b)).toEqual(
          Array.from({ length: cellCount }, (_, i) => i),
        );
        expect(timings.every((t) => t.thread > 0 === onWorkers && t.endedAt >= t.startedAt)).toBe(true);
      }
    });
  });

  it('writes the same bytes when cells take tens of milliseconds and threads claim them one at a time', async () => {
    await withTempDir(async (dir) => {
      const file = 'test/fixtures/pool-heavy.yaml';
      const one = await runToDir(file, join(dir, 'one'), { workers: 1 });
      // A pool its storms say is worth starting before the first cell (37 ms known against 1 ms).
      const two = await runToDir(file, join(dir, 'two'), { workers: 2, poolWorthMs: 1 });
      // One the storms alone do not justify, started, if at all, once the first cells are timed.
      const probed = await runToDir(file, join(dir, 'probed'), { workers: 2, poolWorthMs: 100 });
      const pooled = await runToDir(file, join(dir, 'pooled'), { workers: 2, mainThreadRunsCells: false });
      for (const other of [two, probed, pooled]) {
        expect(other.csv).toBe(one.csv);
        expect(other.json).toBe(one.json);
      }
    });
  });

  it('gives every cell the same bytes whatever order, batch or thread runs it in', async () => {
    const scenario = await loadScenario(SWEEP);
    const plans = planCells(scenario);
    const output = { retention: retentionFor(scenario, plans.length), text: true };
    const pick = [plans[5]!, plans[17]!, plans[40]!];
    const together = await runBatch(scenario, pick, output);
    const reversed = await Promise.all([...pick].reverse().map((plan) => runBatch(scenario, [plan], output)));
    expect(together.csv).toBe(
      reversed
        .reverse()
        .map((b) => b.csv)
        .join(''),
    );
  });

  it('sends workers built-in and profile engines as plain data, engines from modules as their module, and nothing else', async () => {
    const scenario = await loadScenario('test/fixtures/plugins.yaml');
    const portable = toPortable(scenario)!;
    expect(portable.engines.map((e) => e.from)).toEqual(['spec', 'spec', 'module']);
    // An engine changed after defineModeledEngine made it is no longer its spec alone.
    const changed = {
      ...scenario,
      engines: [
        { ...scenario.engines[0]!, engine: Object.assign(defineModeledEngine(kvm.spec), { id: 'kvm-renamed' }) },
      ],
    };
    expect(toPortable(changed)).toBeUndefined();
    // So is one whose spec changed its title in place: a worker would rebuild another title.
    const retitled = defineModeledEngine({ ...kvm.spec });
    (retitled.spec as { title: string }).title = 'kvm, retitled';
    expect(toPortable({ ...scenario, engines: [{ ...scenario.engines[0]!, engine: retitled }] })).toBeUndefined();
    // What a worker receives is a structured clone; it must rebuild engines that give the same bytes.
    const rebuilt = await fromPortable(structuredClone(portable));
    const plans = planCells(scenario);
    const output = { retention: retentionFor(scenario, plans.length), text: true };
    const here = await runBatch(scenario, plans, output);
    const there = await runBatch(rebuilt, plans, output);
    expect(rebuilt.engines.map((e) => e.engine.id)).toEqual(scenario.engines.map((e) => e.engine.id));
    expect(there.csv).toBe(here.csv);
    expect(there.json).toBe(here.json);
  });

  it('takes --workers on the command line and gives the same files with 1 and 2', async () => {
    await withTempDir(async (dir) => {
      for (const workers of ['1', '2']) {
        const run = await runCli(['run', SWEEP, '--out', join(dir, workers), '--workers', workers, '--quiet']);
        expect(run.code).toBe(0);
      }
      expect(await readFile(join(dir, '2', 'pool-sweep.csv'), 'utf8')).toBe(
        await readFile(join(dir, '1', 'pool-sweep.csv'), 'utf8'),
      );
      const bad = await runCli(['run', SWEEP, '--out', dir, '--workers', '0']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--workers must be a whole number of at least 1');
    });
  });

  it('shares model cells between the main thread and the pool, keeps real-driver cells on the main thread, in canonical order', async () => {
    await withTempDir(async (dir) => {
      const { run } = await runToDir('test/fixtures/pool-threads.yaml', dir, { workers: 2, poolWorthMs: 0 });
      const threadOf = (engine: string) =>
        run.result.notes.filter((n) => n.startsWith(`${engine}:`)).map((n) => Number(n.split('thread ')[1]));
      expect(threadOf('thread-probe-real')).toEqual([0, 0, 0, 0, 0]);
      expect(threadOf('thread-probe-model').some((id) => id > 0)).toBe(true);
      const engines = run.result.rows.map((r) => r.engine);
      expect(engines).toEqual(Array.from({ length: 5 }, () => ['thread-probe-model', 'thread-probe-real']).flat());
    });
  });

  it('never lets a batch cross a real-driver cell, with many model cells between them', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'mixed.yaml');
      const sizes = Array.from({ length: 120 }, (_, i) => 16 + i);
      await writeFile(
        file,
        [
          'name: mixed',
          'hardware: felter2015-x3650m4',
          'repetitions: 2',
          'engines:',
          '  - native',
          '  - docker',
          `  - module: ${JSON.stringify(join(process.cwd(), 'test/fixtures/engines/pool-thread-real.mjs'))}`,
          'metrics: [boot_time]',
          `sweep: { app.workingSetMiB: [${sizes.join(', ')}] }`,
        ].join('\n'),
      );
      // The module lives outside the temporary scenario's folder, so loading it needs the user's say-so.
      const trusted = { allowOutsideModules: true };
      const one = await runToDir(file, join(dir, 'one'), { workers: 1 }, trusted);
      // Workers claim runs of model cells, and no claim may reach past a real-driver cell.
      const two = await runToDir(file, join(dir, 'two'), { workers: 2, mainThreadRunsCells: false }, trusted);
      expect(two.csv).toBe(one.csv);
      expect(two.json).toBe(one.json);
      const engines = (parse(one.csv, { columns: true }) as Record<string, string>[])
        .filter((r) => r.metric === 'boot_time')
        .map((r) => r.engine);
      expect(engines).toEqual(sizes.flatMap(() => ['native', 'docker', 'thread-probe-real']));
    });
  });

  it('leaves the previous report in place and no temporary files when a cell fails', async () => {
    await withTempDir(async (dir) => {
      const base = join(dir, 'pool-failing');
      await writeFile(`${base}.csv`, 'previous\n');
      for (const options of [
        { workers: 1 },
        { workers: 2, poolWorthMs: 0 },
        { workers: 2, mainThreadRunsCells: false },
      ]) {
        await expect(runToDir('test/fixtures/pool-failing.yaml', dir, options)).rejects.toThrow(
          'measurement failed at 64 GiB',
        );
        expect(await readFile(`${base}.csv`, 'utf8')).toBe('previous\n');
        expect((await readdir(dir)).sort()).toEqual(['pool-failing.csv']);
      }
    });
  });

  it('fails with the reason when a pool thread cannot load the scenario, and leaves no temporary files', async () => {
    await withTempDir(async (dir) => {
      await expect(
        runToDir('test/fixtures/pool-unloadable.yaml', dir, { workers: 2, mainThreadRunsCells: false }),
      ).rejects.toThrow('this engine cannot load in a worker thread');
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it('keeps only what the terminal and claims need in memory for a large grid, and every row on disk', async () => {
    await withTempDir(async (dir) => {
      const sizes = Array.from({ length: 2100 }, (_, i) => 16 + i);
      const file = join(dir, 'large.yaml');
      await writeFile(
        file,
        [
          'name: large',
          'hardware: felter2015-x3650m4',
          'repetitions: 1',
          'engines: [native]',
          'metrics: [density]',
          `sweep: { app.workingSetMiB: [${sizes.join(', ')}] }`,
          'claims:',
          '  - { id: fits, text: At least one instance fits, checks: [{ metric: density, op: ">=", value: 1 }] }',
        ].join('\n'),
      );
      const { run, csv } = await runToDir(file, dir, { workers: 2 });
      expect(run.partialRows).toBe(true);
      const records = parse(csv, { columns: true }) as Record<string, string>[];
      expect(records).toHaveLength(run.rowsWritten);
      // Six density rows per point: density, its memory and CPU limits, resident and reserved memory per instance.
      expect(run.rowsWritten).toBe(2100 * 6);
      // One parameter: every point is on its curve, so the curve rows are kept, without raw samples.
      expect(run.result.rows.filter((r) => r.metric === 'density')).toHaveLength(2100);
      expect(run.result.rows.every((r) => r.samples.length === 0)).toBe(true);
      expect(run.result.claims[0]!.holds).toBe(true);
      const json = JSON.parse(await readFile(run.files!.json, 'utf8'));
      expect(json.rows).toHaveLength(2100 * 6);
      expect(json.rows[0].samples).toHaveLength(1);
    });
  });

  it("knows before running what boot storms a second thread could take over: every simulated instance but the costliest cell's", async () => {
    const swept = await loadScenario(SWEEP);
    // 4 memory sizes x 3 vCPU counts x 3 engines, each at 20 and at 200 instances, at 5,000 instances per ms.
    expect(shareableKnownMs(swept, planCells(swept))).toBe((36 * 20 + 36 * 200 - 200) / 5000);
    const grid = await loadScenario('test/perf/storm-grid.yaml');
    expect(shareableKnownMs(grid, planCells(grid))).toBe((15 * (25_000 + 50_000 + 75_000 + 100_000) - 100_000) / 5000);
    // One cell, however large, leaves a second thread nothing.
    expect(shareableKnownMs(grid, planCells(grid).slice(-1))).toBe(0);
    const stormless = await loadScenario('scenarios/density-sweep.yaml');
    expect(shareableKnownMs(stormless, planCells(stormless))).toBe(0);
  });

  it('starts a pool at once when the known cost is worth it, after probing otherwise, and never with nothing left', () => {
    // Known to be worth it: before any cell has run.
    expect(poolPays(400, 750, 0, 0, 60)).toBe(true);
    // Not known: wait for 40 ms of timed cells, then go by what the cells left would take.
    expect(poolPays(400, 0, 10, 1, 60)).toBe(false);
    expect(poolPays(400, 0, 50, 5, 60)).toBe(true);
    expect(poolPays(400, 0, 50, 50, 60)).toBe(false);
    // 0 always starts one; nothing left never does.
    expect(poolPays(0, 0, 0, 0, 60)).toBe(true);
    expect(poolPays(0, 750, 100, 60, 60)).toBe(false);
  });
});
