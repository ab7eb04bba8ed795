import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planCells } from '../bench/run/plan.js';
import { parseShard, shardCells } from '../bench/run/shard.js';
import { loadScenario } from '../bench/scenario/load.js';
import { runCli, SEED_SCENARIO, withoutStartTime, withTempDir } from './helpers.js';

const SWEEP_SCENARIO = 'test/fixtures/small-sweep.yaml';

describe('shard split', () => {
  it('deals every cell to exactly one shard, the same way every time, in near-equal parts', async () => {
    for (const file of [SEED_SCENARIO, SWEEP_SCENARIO]) {
      const plans = planCells(await loadScenario(file));
      fc.assert(
        fc.property(fc.integer({ min: 1, max: plans.length + 3 }), (count) => {
          const shards = Array.from({ length: count }, (_, i) => shardCells(plans, { index: i + 1, count }));
          const indices = shards.flatMap((cells) => cells.map((c) => c.index)).sort((a, b) => a - b);
          expect(indices).toEqual(plans.map((p) => p.index));
          const sizes = shards.map((cells) => cells.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          expect(shardCells(plans, { index: 1, count })).toEqual(shards[0]);
        }),
      );
    }
  });

  it('reads i/n counting from 1 and rejects anything else', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '3', '1/2/3', '-1/2']) expect(() => parseShard(bad)).toThrow();
  });
});

async function runShards(scenario: string, name: string, dir: string, count: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 1; i <= count; i++) {
    const run = await runCli(['run', scenario, '--shard', `${i}/${count}`, '--out', join(dir, 'shards'), '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    files.push(join(dir, 'shards', `${name}.shard-${i}-of-${count}.json`));
  }
  return files;
}

describe('virtbench run --shard and virtbench merge', () => {
  for (const [scenario, name, count] of [
    [SEED_SCENARIO, 'seed-comparison', 3],
    [SWEEP_SCENARIO, 'small-sweep', 5],
  ] as const) {
    it(`merges ${count} shards of ${name} into the bytes of an unsharded run`, async () => {
      await withTempDir(async (dir) => {
        const full = await runCli(['run', scenario, '--out', join(dir, 'full'), '--quiet']);
        expect(full.code).toBe(0);
        const shards = await runShards(scenario, name, dir, count);
        // A shard records its cells and leaves the claims to the merge.
        const first = JSON.parse(await readFile(shards[0]!, 'utf8'));
        expect(first.shard).toMatchObject({ index: 1, count });
        expect(first.claims).toEqual([]);
        const merged = await runCli(['merge', ...[...shards].reverse(), '--out', join(dir, 'merged'), '--quiet']);
        expect(merged.stderr).toBe('');
        expect(merged.code).toBe(0);
        expect(merged.stdout).toContain(`merged ${count} shards`);
        const csv = await readFile(join(dir, 'merged', `${name}.csv`));
        expect(csv.equals(await readFile(join(dir, 'full', `${name}.csv`)))).toBe(true);
        expect(csv.length).toBeGreaterThan(1000);
        // Same host, so the JSON, environment and claims included, is identical too.
        expect(withoutStartTime(await readFile(join(dir, 'merged', `${name}.json`), 'utf8'))).toBe(
          withoutStartTime(await readFile(join(dir, 'full', `${name}.json`), 'utf8')),
        );
      });
    });
  }

  it('refuses an incomplete, duplicated or mixed set of shards with exit 2', async () => {
    await withTempDir(async (dir) => {
      const shards = await runShards(SEED_SCENARIO, 'seed-comparison', dir, 3);
      const out = join(dir, 'merged');
      const missing = await runCli(['merge', shards[0]!, shards[2]!, '--out', out]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('missing shard 2/3');
      const twice = await runCli(['merge', shards[0]!, shards[1]!, shards[1]!, shards[2]!, '--out', out]);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain('shard 2/3 is given twice');
      const other = await runCli(['run', '--shard', '2/3', '--seed', '9', '--out', join(dir, 'other'), '--quiet']);
      expect(other.code).toBe(0);
      const mixed = await runCli([
        'merge',
        shards[0]!,
        join(dir, 'other', 'seed-comparison.shard-2-of-3.json'),
        shards[2]!,
        '--out',
        out,
      ]);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toMatch(/seed: differs from .*shard-1-of-3\.json: these are shards of different runs/);
      const full = await runCli(['run', '--out', join(dir, 'full'), '--quiet']);
      expect(full.code).toBe(0);
      const notShard = await runCli(['merge', join(dir, 'full', 'seed-comparison.json'), '--out', out]);
      expect(notShard.code).toBe(2);
      expect(notShard.stderr).toContain('not a shard result');
      const badSpec = await runCli(['run', '--shard', '4/3', '--out', out]);
      expect(badSpec.code).toBe(2);
      // A single shard cannot be gated: it lacks the other shards' engines.
      const gated = await runCli([
        'gate',
        '--baseline',
        join(dir, 'full', 'seed-comparison.json'),
        '--current',
        shards[0]!,
      ]);
      expect(gated.code).toBe(2);
      expect(gated.stderr).toContain('is a single shard of a run');
      const corrupted = JSON.parse(await readFile(shards[1]!, 'utf8'));
      corrupted.shard.cells = corrupted.shard.cells.slice(1);
      await writeFile(shards[1]!, JSON.stringify(corrupted));
      const lost = await runCli(['merge', ...shards, '--out', out]);
      expect(lost.code).toBe(2);
      expect(lost.stderr).toMatch(/is not one of this shard's cells|cells were run by no shard/);
    });
  });

  it('merges real-driver shards from identically built hosts, and refuses shards of another scenario', async () => {
    await withTempDir(async (dir) => {
      const shards = await runShards('test/fixtures/pool-threads.yaml', 'pool-threads', dir, 2);
      // A CI runner of the same build has another name, and was busier or quieter.
      const second = JSON.parse(await readFile(shards[1]!, 'utf8'));
      second.environment = {
        ...second.environment,
        hostname: 'runner-2',
        load: { loadAverage1m: 9, cores: 2, stealPercent: 0 },
      };
      await writeFile(shards[1]!, JSON.stringify(second));
      const merged = await runCli(['merge', ...shards, '--out', join(dir, 'merged'), '--quiet']);
      expect(merged.stderr).toBe('');
      expect(merged.code).toBe(0);
      second.scenario.digest = `sha256:${'0'.repeat(64)}`;
      await writeFile(shards[1]!, JSON.stringify(second));
      const mixed = await runCli(['merge', ...shards, '--out', join(dir, 'mixed'), '--quiet']);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toMatch(
        /scenario\.digest: differs from .*shard-1-of-2\.json: these are shards of different runs/,
      );
    });
  });
});
