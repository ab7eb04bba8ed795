import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withoutStartTime, withTempDir } from './helpers.js';

/**
 * gate, baseline update and calibrate run their scenarios through the same pipeline as run:
 * with two workers and a pool threshold of 0 the worker pool starts at once, and every output
 * must be the one a single thread gives.
 */
const SWEEP = 'test/fixtures/pool-sweep.yaml';
const ONE = ['--workers', '1'];
const TWO = ['--workers', '2', '--pool-threshold', '0'];

describe('commands that run a scenario give the same results on 1 and 2 workers', () => {
  it('baseline update writes the same baseline', async () => {
    await withTempDir(async (dir) => {
      const files: string[] = [];
      for (const [name, workers] of [
        ['one', ONE],
        ['two', TWO],
      ] as const) {
        const run = await runCli(['baseline', 'update', SWEEP, '--dir', join(dir, name), ...workers]);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        files.push(withoutStartTime(await readFile(join(dir, name, 'pool-sweep.json'), 'utf8')));
      }
      expect(files[1]).toBe(files[0]);
    });
  });

  it('gate prints the same verdict and writes the same report', async () => {
    await withTempDir(async (dir) => {
      const made = await runCli(['baseline', 'update', SWEEP, '--dir', dir, ...ONE]);
      expect(made.code).toBe(0);
      const baseline = join(dir, 'pool-sweep.json');
      const outputs: { stdout: string; markdown: string }[] = [];
      for (const [name, workers] of [
        ['one', ONE],
        ['two', TWO],
      ] as const) {
        const markdown = join(dir, `${name}.md`);
        const run = await runCli(['gate', SWEEP, '--baseline', baseline, '--markdown', markdown, ...workers]);
        expect(run.code).toBe(0);
        outputs.push({
          stdout: run.stdout.replace(markdown, '<md>'),
          markdown: await readFile(markdown, 'utf8'),
        });
      }
      expect(outputs[1]).toEqual(outputs[0]);
      expect(outputs[0]!.stdout).toMatch(/\d+ of \d+ checks/);
    });
  });

  it('calibrate writes the same calibration table', async () => {
    await withTempDir(async (dir) => {
      const tables: string[] = [];
      for (const [name, workers] of [
        ['one', ONE],
        ['two', TWO],
      ] as const) {
        // The tolerance is not what this test is about: the table must not depend on the workers.
        const run = await runCli(['calibrate', '--out', join(dir, name), '--quiet', '--tolerance', '20', ...workers]);
        expect(run.code).toBe(0);
        tables.push(await readFile(join(dir, name, 'calibration.csv'), 'utf8'));
      }
      expect(tables[1]).toBe(tables[0]);
      expect(tables[0]!.split('\n').length).toBeGreaterThan(50);
    });
  });
});
