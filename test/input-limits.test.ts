import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, withTempDir } from './helpers.js';

/** What every refusal of bad input looks like: exit 2, the culprit named, no internal error or stack. */
function expectRefused(run: { code: number; stderr: string }, named: string): void {
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(named);
  expect(run.stderr).not.toContain('internal error');
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

async function scenarioFile(dir: string, text: string, name = 'scenario.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `hardware: felter2015-x3650m4\n${text}`);
  return file;
}

describe('every count a user gives is bounded, and the bound is named', () => {
  it.each([
    [['--workers', '0'], '--workers must be a whole number of at least 1 and at most 256'],
    [['--workers', '99999999999'], '--workers must be a whole number of at least 1 and at most 256'],
    [
      ['--seed', '99999999999999999999'],
      '--seed must be a whole number of at least 0 and at most 9,007,199,254,740,991',
    ],
    [['--repetitions', '1000000'], '--repetitions must be a whole number of at least 1 and at most 100,000'],
    [['--shard', '0/2'], 'shard 0/2 does not exist'],
    [['--shard', '3/2'], 'shard 3/2 does not exist'],
    [['--shard', 'a/b'], 'expected i/n'],
    [['--shard', '1/1000000000'], 'a run splits into at most 10,000 shards'],
  ])('run %j', async (flags, message) => {
    const run = await runCli(['run', ...flags, '--out', '/nonexistent/never-written']);
    expectRefused(run, message);
  });

  it('refuses a sweep grid of millions of cells before any work, with the count and the limit', async () => {
    await withTempDir(async (dir) => {
      const values = Array.from({ length: 1000 }, (_, i) => i + 1);
      const file = await scenarioFile(
        dir,
        `engines: [docker, kvm]\nsweep:\n  options.vcpus: [${values.join(', ')}]\n  options.memoryMiB: [${values.join(', ')}]\n`,
      );
      const out = join(dir, 'out');
      const started = Date.now();
      const run = await runCli(['run', file, '--out', out]);
      expectRefused(run, `${file}:4:3: sweep: the sweep grid expands to 2,000,000 cells (2 engines × 1,000 × 1,000)`);
      expect(run.stderr).toContain('at most 1,000,000 cells');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(existsSync(out)).toBe(false);
    });
  });

  it('refuses an --engines selection of thousands', async () => {
    const run = await runCli(['run', '--engines', Array(3000).fill('docker').join(','), '--out', '/nonexistent/never']);
    expectRefused(run, '--engines names 3,000 engines, more than the 256 a run may have');
  });

  it('refuses an engine list of thousands of entries', async () => {
    await withTempDir(async (dir) => {
      const file = await scenarioFile(dir, `engines: [${Array(3000).fill('docker').join(', ')}]\n`);
      const run = await runCli(['validate', file]);
      expectRefused(run, `${file}:2:10: engines: found a list of 3000 entries`);
      expect(run.stderr).toContain('expected: at most 256 entries');
    });
  });

  it('refuses names that cannot be file names before writing anything', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'out');
      for (const name of ['a'.repeat(251), '..', '.hidden', 'a/b']) {
        const file = await scenarioFile(dir, `name: ${JSON.stringify(name)}\nengines: [docker]\n`);
        const run = await runCli(['run', file, '-r', '1', '--out', out]);
        expectRefused(run, `${file}:2:7: name:`);
      }
      const long = await scenarioFile(dir, 'engines: [docker]\n', `${'b'.repeat(150)}.yaml`);
      expectRefused(await runCli(['run', long, '-r', '1', '--out', out]), 'too long to name the output files');
      expect(existsSync(out)).toBe(false);
    });
  });
});

describe('input files are read up to a limit', () => {
  it('refuses a device that never ends, as a scenario, a profile or a result', async () => {
    expectRefused(await runCli(['validate', '/dev/zero']), '/dev/zero: file is larger than 16 MiB');
    await withTempDir(async (dir) => {
      const file = await scenarioFile(dir, 'engines: [{ profile: /dev/zero }]\n');
      const run = await runCli(['validate', '--allow-outside-modules', file]);
      expectRefused(run, '/dev/zero: engine profile is larger than 16 MiB');
      expect(run.stderr).toContain(`named at: ${file}:2:22`);
    });
    expectRefused(await runCli(['compare', '/dev/zero', '/dev/zero']), '/dev/zero: result file is larger than 256 MiB');
  }, 60_000);
});

describe('bad results files given to gate, compare and merge are bad input', () => {
  let dir: string;
  let result: string;
  let shard: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtbench-limits-'));
    const file = await scenarioFile(dir, 'name: tiny\nengines: [docker, kvm]\nmetrics: [boot_time]\n');
    expect((await runCli(['run', file, '-r', '3', '--out', dir, '--quiet'])).code).toBe(0);
    expect((await runCli(['run', file, '-r', '3', '--shard', '1/2', '--out', dir, '--quiet'])).code).toBe(0);
    result = await readFile(join(dir, 'tiny.json'), 'utf8');
    shard = await readFile(join(dir, 'tiny.shard-1-of-2.json'), 'utf8');
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const edits: Record<string, (text: string) => string> = {
    truncated: (text) => text.slice(0, Math.floor(text.length / 2)),
    empty: () => '',
    'wrong version': (text) => text.replace(/"schemaVersion": \d+/, '"schemaVersion": 999'),
    'samples as a string': (text) => text.replace(/"samples":\[[^\]]*\]/, '"samples":"many"'),
    'an infinite mean': (text) => text.replace(/"mean":[-\d.e]+/, '"mean":1e400'),
    'deep nesting': (text) =>
      text.replace('"notes": [', `"deep": ${'['.repeat(20_000)}${']'.repeat(20_000)}, "notes": [`),
    'deep nesting in a row': (text) =>
      text.replace(/"params":\{\}/, `"params":${'['.repeat(20_000)}${']'.repeat(20_000)}`),
    'NUL bytes and a BOM': (text) => `\ufeff${text.replace('"rows"', '"ro\u0000ws"')}`,
    'rows as null': (text) => text.replace('"rows": [', '"rows": null, "was": ['),
  };

  for (const [what, edit] of Object.entries(edits)) {
    it(`${what}`, async () => {
      const bad = join(dir, `bad-${what.replace(/\W+/g, '-')}.json`);
      await writeFile(bad, edit(result));
      const good = join(dir, 'tiny.json');
      expectRefused(await runCli(['gate', '--baseline', good, '--current', bad]), bad);
      expectRefused(await runCli(['gate', '--baseline', bad, '--current', good]), bad);
      expectRefused(await runCli(['compare', bad, good]), bad);
      const badShard = join(dir, `bad-shard-${what.replace(/\W+/g, '-')}.json`);
      await writeFile(badShard, edit(shard));
      const before = await readdir(dir);
      expectRefused(await runCli(['merge', badShard, '--out', join(dir, 'merged')]), badShard);
      expect(await readdir(dir)).toEqual(before);
    });
  }

  it('a shard count of a billion given to merge', async () => {
    const bad = join(dir, 'billion.json');
    await writeFile(bad, shard.replace(/"count": 2/, '"count": 1000000000'));
    const run = await runCli(['merge', bad, '--out', join(dir, 'merged')]);
    expectRefused(run, `${bad}: shard: not a shard result`);
    expect(run.stderr).toContain('n at most 10,000');
    expect(existsSync(join(dir, 'merged'))).toBe(false);
  });
});

describe('one mistake in a long list', () => {
  it('prints the first 20 problems and counts the rest', async () => {
    await withTempDir(async (dir) => {
      const good = join(dir, 'good.json');
      const made = await runCli(['run', 'scenarios/calibration/images.yaml', '--out', dir, '--quiet']);
      expect(made.code).toBe(0);
      await writeFile(good, await readFile(join(dir, 'images.json'), 'utf8'));
      const result = JSON.parse(await readFile(good, 'utf8'));
      result.sweepParameters = Array.from({ length: 2000 }, (_, i) => i);
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify(result));
      const run = await runCli(['compare', bad, good]);
      expect(run.code).toBe(2);
      expect(run.stderr.match(/^error: .*sweepParameters\[\d+\]: found number/gm)).toHaveLength(20);
      expect(run.stderr).toContain('error: … and 1980 more problems like these');
      expect(run.stderr.length).toBeLessThan(10_000);
    });
  });
});
