import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../bench/report/results.js';
import { readResultFile } from '../bench/report/results-file.js';
import { gitCommit } from '../engines/shared/environment.js';
import { writeVariant } from './gate-helpers.js';
import { makeResult, row } from './gate-synthetic.js';
import { runCli, withTempDir } from './helpers.js';

async function runAndRead(scenario: string, dir: string): Promise<RunResult> {
  const run = await runCli(['run', scenario, '--out', dir, '--quiet', '--workers', '1']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(await readFile(join(dir, 'seed-comparison.json'), 'utf8')) as RunResult;
}

describe('a result records the scenario it ran', () => {
  it('holds the resolved scenario and the sha256 of its canonical JSON', async () => {
    await withTempDir(async (dir) => {
      const result = await runAndRead('scenarios/seed-comparison.yaml', dir);
      const resolved = result.scenario.resolved!;
      expect(resolved.workload).toEqual(expect.objectContaining({ name: 'web-mix', computeGcycles: 10 }));
      expect(Object.keys(resolved).sort()).toEqual(
        [
          'app',
          'density',
          'engines',
          'hardware',
          'metrics',
          'repetitions',
          'seed',
          'storm',
          'sweep',
          'workload',
        ].sort(),
      );
      expect(resolved.hardware).toEqual(result.hardware);
      expect(resolved.seed).toBe(42);
      expect(resolved.engines.map((e) => e.id)).toEqual(result.engines.map((e) => e.id));
      // Every engine carries its options with the defaults filled in.
      for (const engine of resolved.engines) expect(engine.options.memoryMiB).toBeGreaterThan(0);
      const expected = createHash('sha256').update(canonicalize(resolved)!).digest('hex');
      expect(result.scenario.digest).toBe(`sha256:${expected}`);
    });
  });

  it('gives another workload another digest, and the same scenario elsewhere the same one', async () => {
    await withTempDir(async (dir) => {
      const same = await writeVariant(dir, () => {});
      const other = await writeVariant(
        dir,
        (doc) => {
          (doc.workload as Record<string, unknown>).computeGcycles = 20;
        },
        'other.yaml',
      );
      const a = await runAndRead('scenarios/seed-comparison.yaml', join(dir, 'a'));
      const b = await runAndRead(same, join(dir, 'b'));
      expect(b.scenario.digest).toBe(a.scenario.digest);
      const c = await runAndRead(other, join(dir, 'c'));
      expect(c.scenario.digest).not.toBe(a.scenario.digest);
      expect(c.scenario.resolved!.workload).not.toEqual(a.scenario.resolved!.workload);
    });
  });

  it('records the host, the commit of this checkout and when the run started', async () => {
    await withTempDir(async (dir) => {
      const before = Date.now();
      const result = await runAndRead('scenarios/seed-comparison.yaml', dir);
      expect(result.environment.hostname).toBeTruthy();
      expect(result.environment.kernel).toMatch(/\S+ \S+/);
      expect(result.environment.os).toBeTruthy();
      const started = Date.parse(result.provenance!.startedAt);
      expect(started).toBeGreaterThanOrEqual(before - 1000);
      expect(started).toBeLessThanOrEqual(Date.now());
      expect(result.provenance!.commit).toBe(gitCommit(process.cwd()));
    });
  });

  it('reads version 1 results, which lack all of this', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'old.json');
      await writeFile(file, JSON.stringify(makeResult([row('kvm', 'boot_time', [1, 2, 3])], { schemaVersion: 1 })));
      const loaded = await readResultFile(file);
      expect(loaded.result.scenario.digest).toBeUndefined();
    });
  });
});

describe('the commit of a checkout, read without git', () => {
  const commit = 'a'.repeat(40);

  it('follows HEAD to a loose ref, a packed ref, or a detached commit', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, '.git', 'refs', 'heads'), { recursive: true });
      await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      expect(gitCommit(dir)).toBeUndefined();
      await writeFile(join(dir, '.git', 'packed-refs'), `# pack-refs with: peeled\n${commit} refs/heads/main\n`);
      expect(gitCommit(dir)).toBe(commit);
      await writeFile(join(dir, '.git', 'refs', 'heads', 'main'), `${'b'.repeat(40)}\n`);
      expect(gitCommit(dir)).toBe('b'.repeat(40));
      await writeFile(join(dir, '.git', 'HEAD'), `${'c'.repeat(40)}\n`);
      expect(gitCommit(dir)).toBe('c'.repeat(40));
    });
  });

  it("finds a worktree's branch in the common git folder, and nothing outside a checkout", async () => {
    await withTempDir(async (dir) => {
      const common = join(dir, 'main', '.git');
      const own = join(common, 'worktrees', 'wt');
      await mkdir(join(common, 'refs', 'heads'), { recursive: true });
      await mkdir(own, { recursive: true });
      await mkdir(join(dir, 'wt'));
      await writeFile(join(common, 'refs', 'heads', 'topic'), `${commit}\n`);
      await writeFile(join(own, 'HEAD'), 'ref: refs/heads/topic\n');
      await writeFile(join(own, 'commondir'), '../..\n');
      await writeFile(join(dir, 'wt', '.git'), `gitdir: ${own}\n`);
      expect(gitCommit(join(dir, 'wt'))).toBe(commit);
      expect(gitCommit(dir)).toBeUndefined();
    });
  });
});
