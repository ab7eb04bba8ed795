import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../bench/report/results.js';
import { firmwareProfile, makeBaseline, meanOf, replaceEngine, writeVariant } from './gate-helpers.js';
import { runCli } from './helpers.js';

let dir: string;
let baseline: { path: string; result: RunResult };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'virtbench-gate-'));
  baseline = await makeBaseline(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The table line of one check, e.g. "F    kvm  boot_time (mean) ...". */
function line(stdout: string, engine: string, metric: string): string {
  const found = stdout
    .split('\n')
    .find((l) => new RegExp(`^[PF]\\s+${engine}\\s+${metric.replace('.', '\\.')} \\(`).test(l));
  if (!found) throw new Error(`no line for ${engine} ${metric} in:\n${stdout}`);
  return found;
}

describe('virtbench gate', () => {
  it('passes on an unchanged run, printing the table and a count line', async () => {
    const run = await runCli(['gate', '--baseline', baseline.path]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^P\/F\s+engine\s+metric\s+baseline\s+current\s+change\s+p-value\s+threshold$/m);
    expect(line(run.stdout, 'kvm', 'boot_time')).toMatch(
      /^P\s+kvm\s+boot_time \(mean\)\s+\S+ s\s+\S+ s\s+0\.0%\s+1\.000\s+α 0\.01, \+5%$/,
    );
    expect(line(run.stdout, 'docker', 'image_size')).toContain('exact');
    expect(run.stdout).toMatch(/gate passed: (\d+) of \1 checks hold, 0 failed · Holm/);
  });

  it('fails with exit 1 when the container image grows 20% (a bigger application in the scenario)', async () => {
    const image = meanOf(baseline.result, 'docker', 'image_size');
    const app = baseline.result.rows.find((r) => r.engine === 'native' && r.metric === 'image_size')!.mean;
    const scenario = await writeVariant(
      dir,
      (doc) => {
        doc.app.sizeMiB = app + 0.2 * image;
      },
      'bigger-app.yaml',
    );
    // A bigger application is another scenario: the gate compares it only when told to.
    const run = await runCli(['gate', '--baseline', baseline.path, scenario, '--force']);
    expect(run.stderr).toMatch(/--force\):\n\s+scenario\.app\.sizeMiB: baseline/);
    expect(run.code).toBe(1);
    for (const engine of ['docker', 'gvisor']) {
      expect(line(run.stdout, engine, 'image_size')).toMatch(
        new RegExp(`^F\\s+${engine}\\s+image_size \\(mean\\)\\s+86\\.5 MiB\\s+104 MiB\\s+\\+20\\.0%\\s+exact`),
      );
    }
    // A VM disk holds a whole distribution: the same 17 MiB is under 1% of it.
    expect(line(run.stdout, 'kvm', 'image_size')).toMatch(
      /^P\s+kvm\s+image_size \(mean\)\s+\S+ GiB\s+\S+ GiB\s+\+0\.8%/,
    );
    expect(run.stdout).toMatch(/F docker image_size \(mean\): \+20\.0% beyond 5% and exact \(no noise\)/);
    expect(run.stdout).toMatch(/gate FAILED: \d+ of \d+ checks failed/);
  });

  it('fails with exit 1 when a VM boots 20% slower (an engine profile with slower firmware)', async () => {
    const boot = meanOf(baseline.result, 'kvm', 'boot_time');
    const profile = await firmwareProfile(dir, 'kvm', 0.2 * boot);
    const scenario = await writeVariant(dir, (doc) => replaceEngine(doc, 'kvm', profile), 'slow-kvm.yaml');
    const run = await runCli(['gate', '--baseline', baseline.path, scenario]);
    expect(run.code).toBe(1);
    const kvm = line(run.stdout, 'kvm', 'boot_time');
    expect(kvm).toMatch(/^F\s+kvm\s+boot_time \(mean\)/);
    const change = Number(/([+-]\d+\.\d)%/.exec(kvm)![1]);
    expect(change).toBeGreaterThan(15);
    expect(change).toBeLessThan(25);
    const p = Number(kvm.split(/\s{2,}/)[6]);
    expect(p).toBeLessThanOrEqual(0.01);
    // Only kvm changed: every other check holds.
    expect(run.stdout.split('\n').filter((l) => /^F\s{2,}/.test(l))).toHaveLength(1);
  });

  it('never fails on seeded noise alone, across 20 different seeds', async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const run = await runCli(['gate', '--baseline', baseline.path, '--seed', String(seed)]);
      expect(run.stdout).toContain(`(run now, seed ${seed})`);
      if (run.code !== 0)
        failures.push(
          `seed ${seed}: ${run.stdout
            .split('\n')
            .filter((l) => /^F\s{2,}/.test(l))
            .join('; ')}`,
        );
    }
    expect(failures).toEqual([]);
  });

  it('lets improvements pass by default and fails them with --direction either', async () => {
    const boot = meanOf(baseline.result, 'kvm', 'boot_time');
    // Direct kernel boot: no firmware POST and no boot loader menu.
    const profile = await firmwareProfile(dir, 'kvm', -350, { bootloaderMs: 0 });
    const scenario = await writeVariant(dir, (doc) => replaceEngine(doc, 'kvm', profile), 'fast-kvm.yaml');
    const lenient = await runCli(['gate', '--baseline', baseline.path, scenario]);
    expect(lenient.code).toBe(0);
    const kvm = line(lenient.stdout, 'kvm', 'boot_time');
    expect(kvm).toMatch(/^P\s+kvm\s+boot_time \(mean\)/);
    const change = Number(/(-\d+\.\d)%/.exec(kvm)![1]);
    // Firmware (350 ms) and boot loader (250 ms) leave every boot; noise draws move the mean a little.
    expect(Math.abs(change - (-600 / boot) * 100)).toBeLessThan(3);
    expect(lenient.stdout).not.toMatch(/^F\s/m);
    const strict = await runCli(['gate', '--baseline', baseline.path, scenario, '--direction', 'either']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/F kvm boot_time \(mean\): -\d+\.\d% beyond 5% and significant/);
  });

  it('refuses a baseline of another workload, naming the fields, instead of reporting regressions', async () => {
    const scenario = await writeVariant(
      dir,
      (doc) => {
        const workload = doc.workload as Record<string, number>;
        workload.computeGcycles = 2 * workload.computeGcycles!;
      },
      'other-workload.yaml',
    );
    const refused = await runCli(['gate', '--baseline', baseline.path, scenario]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('refusing to compare results from different scenarios');
    expect(refused.stderr).toMatch(/scenario\.workload\.computeGcycles: baseline 10, current 20/);
    expect(refused.stderr).toContain('virtbench baseline update <scenario>');
    const forced = await runCli(['gate', '--baseline', baseline.path, scenario, '--force']);
    expect(forced.stderr).toMatch(/warning: comparing despite[\s\S]*scenario\.workload\.computeGcycles/);
    expect(forced.stdout).toMatch(/\d+ of \d+ checks (hold|failed)/);
  });

  it('refuses results from different modeled hardware, naming the fields, unless --force', async () => {
    const scenario = await writeVariant(
      dir,
      (doc) => {
        doc.hardware = 'dev-laptop';
      },
      'other-hardware.yaml',
    );
    const refused = await runCli(['gate', '--baseline', baseline.path, scenario]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('refusing to compare results from different hardware or environments');
    expect(refused.stderr).toMatch(/hardware\.cpu\.sockets: baseline 2, current 1/);
    expect(refused.stderr).toMatch(/hardware\.memory\.gib: baseline \d+, current \d+/);
    expect(refused.stderr).toContain('hint: compare like with like');
    expect(refused.stderr).not.toContain('    at ');
    const forced = await runCli(['gate', '--baseline', baseline.path, scenario, '--force']);
    expect([0, 1]).toContain(forced.code);
    expect(forced.stderr).toContain('warning: comparing despite differences that can move the figures (--force)');
    expect(forced.stdout).toMatch(/\d+ of \d+ checks (hold|failed)/);
  });

  it('gates a saved result with --current, and reads checks from --gates', async () => {
    const scenario = await writeVariant(
      dir,
      (doc) => {
        doc.gates = { checks: [{ metric: 'density', kinds: ['type1'], band: { stat: 'mean', min: 1000 } }] };
      },
      'density-band.yaml',
    );
    const out = join(dir, 'current');
    expect((await runCli(['run', '--out', out, '--quiet', '--seed', '7'])).code).toBe(0);
    const run = await runCli([
      'gate',
      '--baseline',
      baseline.path,
      '--current',
      join(out, 'seed-comparison.json'),
      '--gates',
      scenario,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`checks: gates: in ${scenario}`);
    expect(line(run.stdout, 'kvm', 'density')).toMatch(/^F\s+kvm\s+density \(mean\).*—\s+mean ≥ 1,000$/);
    expect(run.stdout).toMatch(/F kvm density \(mean\): below the band/);
  });

  it('exits 2 with a located, friendly error for bad input and writes nothing', async () => {
    const missing = await runCli(['gate', '--baseline', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: result file not found/);

    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{\n  "schemaVersion": 1,\n  "rows": [\n}');
    const broken = await runCli(['gate', '--baseline', notJson]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json:\d+:\d+: not valid JSON/);

    const noSamples = JSON.parse(await readFile(baseline.path, 'utf8'));
    delete noSamples.rows[3].samples;
    const old = join(dir, 'old.json');
    await writeFile(old, JSON.stringify(noSamples, null, 2));
    const oldRun = await runCli(['gate', '--baseline', old]);
    expect(oldRun.code).toBe(2);
    expect(oldRun.stderr).toMatch(/old\.json:\d+:\d+: rows\[3\]\.samples: required field is missing/);
    expect(oldRun.stderr).toContain('raw samples');

    const typo = await writeVariant(
      dir,
      (doc) => {
        doc.gates = { checks: [{ metric: 'boot_tme', engines: ['kvm'], treshold: 3 }] };
      },
      'typo-gates.yaml',
    );
    const typoRun = await runCli(['gate', '--baseline', baseline.path, typo]);
    expect(typoRun.code).toBe(2);
    expect(typoRun.stderr).toMatch(/typo-gates\.yaml:\d+:\d+: gates\.checks\[0\]\.metric: found the string "boot_tme"/);
    expect(typoRun.stderr).toContain('did you mean "boot_time"?');
    expect(typoRun.stderr).toMatch(
      /gates\.checks\[0\]\.treshold: unknown key "treshold"[\s\S]*did you mean "threshold"\?/,
    );

    const badBand = await writeVariant(
      dir,
      (doc) => {
        doc.gates = {
          checks: [
            { metric: 'boot_time', band: { stat: 'p95', min: 10, percent: 5 } },
            { metric: 'boot_time', engines: ['kvmm'] },
          ],
        };
      },
      'bad-band.yaml',
    );
    const bandRun = await runCli(['gate', '--baseline', baseline.path, badBand]);
    expect(bandRun.code).toBe(2);
    expect(bandRun.stderr).toMatch(
      /bad-band\.yaml:\d+:\d+: gates\.checks\[0\]\.band\.percent: a band is either min\/max or mid ± percent/,
    );

    const flagTypo = await runCli(['gate', '--baseline', baseline.path, '--metrics', 'densty']);
    expect(flagTypo.code).toBe(2);
    expect(flagTypo.stderr).toContain('did you mean "density"?');
    expect((await runCli(['gate', '--baseline', baseline.path, '--alpha', '2'])).code).toBe(2);
    expect((await runCli(['gate', '--baseline', baseline.path, '--resamples', '100'])).code).toBe(2);
    expect((await runCli(['gate', '--baseline', baseline.path, '--correction', 'bonferroni'])).code).toBe(2);
    const badFlagBand = await runCli(['gate', '--baseline', baseline.path, '--band', 'kvm/boot_time:p97:..10']);
    expect(badFlagBand.code).toBe(2);
    expect(badFlagBand.stderr).toContain('did you mean "p95"?');
  });

  it('names unknown engines in checks with a did-you-mean', async () => {
    const scenario = await writeVariant(
      dir,
      (doc) => {
        doc.gates = { checks: [{ metric: 'boot_time', engines: ['kvmm'] }] };
      },
      'unknown-engine-gate.yaml',
    );
    const run = await runCli(['gate', '--baseline', baseline.path, scenario]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /unknown-engine-gate\.yaml:\d+:\d+: gates\.checks\[0\]: engine "kvmm" is in neither result/,
    );
    expect(run.stderr).toContain('did you mean "kvm"?');
  });
});

describe('virtbench compare', () => {
  it('prints the same table with a bootstrap interval and never fails on the numbers', async () => {
    const boot = meanOf(baseline.result, 'kvm', 'boot_time');
    const profile = await firmwareProfile(dir, 'kvm', 0.2 * boot);
    const scenario = await writeVariant(dir, (doc) => replaceEngine(doc, 'kvm', profile), 'slow-kvm-compare.yaml');
    const out = join(dir, 'compare');
    expect((await runCli(['run', scenario, '--out', out, '--quiet'])).code).toBe(0);
    const run = await runCli(['compare', baseline.path, join(out, 'seed-comparison.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^P\/F\s+engine\s+metric\s+baseline\s+current\s+change\s+95% CI\s+p-value\s+threshold$/m,
    );
    const kvm = line(run.stdout, 'kvm', 'boot_time');
    const [low, high] = [...kvm.matchAll(/\+(\d+\.\d)%/g)].slice(1, 3).map((m) => Number(m[1]));
    const change = Number(/\+(\d+\.\d)%/.exec(kvm)![1]);
    expect(low).toBeLessThan(change);
    expect(high).toBeGreaterThan(change);
    expect(run.stdout).toMatch(/as a gate: 1 of \d+ checks failed/);
  });

  it('warns about environment differences instead of refusing', async () => {
    const scenario = await writeVariant(
      dir,
      (doc) => {
        doc.hardware = 'dev-laptop';
      },
      'laptop.yaml',
    );
    const out = join(dir, 'laptop');
    expect((await runCli(['run', scenario, '--out', out, '--quiet'])).code).toBe(0);
    const run = await runCli(['compare', baseline.path, join(out, 'seed-comparison.json')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: comparing despite differences[\s\S]*hardware\.cpu\.sockets/);
  });
});

describe('virtbench baseline update', () => {
  it('writes reports/baselines/<name>.json from a run or from a result, and says what moved', async () => {
    // The same results again leave the file as it was, start time and all.
    const before = await readFile(baseline.path, 'utf8');
    const again = await runCli(['baseline', 'update', '--dir', join(dir, 'baselines')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('seed-comparison.json is unchanged: the same scenario, rows and claims');
    expect(await readFile(baseline.path, 'utf8')).toBe(before);
    const out = join(dir, 'seeded');
    expect((await runCli(['run', '--out', out, '--quiet', '--seed', '3'])).code).toBe(0);
    const promoted = await runCli([
      'baseline',
      'update',
      '--dir',
      join(dir, 'promoted'),
      '--from',
      join(out, 'seed-comparison.json'),
    ]);
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toContain('new baseline');
    expect(await readFile(join(dir, 'promoted', 'seed-comparison.json'), 'utf8')).toBe(
      await readFile(join(out, 'seed-comparison.json'), 'utf8'),
    );
    const moved = await runCli(['baseline', 'update', '--dir', join(dir, 'promoted')]);
    expect(moved.stdout).toMatch(/\d+ of \d+ rows changed/);
    expect(moved.stdout).toMatch(/boot_time.*: mean [+-]\d/);
  });
});
