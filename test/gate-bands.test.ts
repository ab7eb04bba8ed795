import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandProblems, type ResolvedBand, resolveBand, withinBand } from '../bench/gate/bands.js';
import { parseBandFlag } from '../bench/gate/config.js';
import type { RunResult } from '../bench/report/results.js';
import { firmwareProfile, makeBaseline, meanOf, replaceEngine, writeVariant } from './gate-helpers.js';
import { runCli } from './helpers.js';

function band(spec: Parameters<typeof resolveBand>[0], baseline?: number): ResolvedBand {
  const resolved = resolveBand(spec, baseline);
  if ('error' in resolved) throw new Error(resolved.error);
  return resolved;
}

describe('bands', () => {
  it('mid ± percent around the baseline is two-sided by default', () => {
    const b = band({ stat: 'mean', percent: 10 }, 200);
    expect(b.text).toBe('mean 200 (baseline) ±10%');
    expect(withinBand(219, b)).toBe(true);
    expect(withinBand(221, b)).toBe(false);
    expect(withinBand(181, b)).toBe(true);
    expect(withinBand(179, b)).toBe(false);
  });

  it('an upper band never fails on getting faster, a lower band never on getting denser', () => {
    const upper = band({ stat: 'p95', percent: 10, side: 'upper' }, 200);
    expect(withinBand(1, upper)).toBe(true);
    expect(withinBand(221, upper)).toBe(false);
    expect(upper.text).toBe('p95 ≤ 200 (baseline) +10%');
    const lower = band({ stat: 'mean', percent: 5, mid: 64, side: 'lower' });
    expect(withinBand(1e9, lower)).toBe(true);
    expect(withinBand(60, lower)).toBe(false);
    expect(lower.text).toBe('mean ≥ 64 -5%');
  });

  it('absolute bands are one-sided with one edge and two-sided with both', () => {
    expect(withinBand(0, band({ stat: 'p95', max: 2500 }))).toBe(true);
    expect(withinBand(2501, band({ stat: 'p95', max: 2500 }))).toBe(false);
    expect(band({ stat: 'p95', max: 2500 }).text).toBe('p95 ≤ 2,500');
    const both = band({ stat: 'cov', min: 0.01, max: 0.1 });
    expect(both.text).toBe('1% ≤ CoV ≤ 10%');
    expect(withinBand(0.005, both)).toBe(false);
    expect(withinBand(0.2, both)).toBe(false);
  });

  it('cannot centre a percent band without a baseline', () => {
    expect(resolveBand({ stat: 'mean', percent: 5 }, undefined)).toEqual({
      error: 'no baseline mean to centre the ±5% band on',
    });
  });

  it('explains bands that are written wrong', () => {
    expect(bandProblems({ stat: 'mean' })[0]!.message).toContain('needs min, max, or percent');
    expect(bandProblems({ stat: 'mean', min: 1, percent: 3 })[0]!.message).toContain('either min/max or mid ± percent');
    expect(bandProblems({ stat: 'mean', mid: 3 })[0]!.message).toContain('mid needs a percent');
    expect(bandProblems({ stat: 'mean', max: 3, side: 'upper' })[0]!.message).toContain(
      'side applies to mid ± percent',
    );
    expect(bandProblems({ stat: 'mean', min: 5, max: 3 })[0]!.message).toBe('min 5 is above max 3');
  });

  it('reads bands from the command line', () => {
    const upper = parseBandFlag('kvm/boot_time:p95:..2500');
    expect('check' in upper && upper.check).toMatchObject({
      metric: 'boot_time',
      engines: ['kvm'],
      test: { type: 'band', band: { stat: 'p95', max: 2500 } },
    });
    const relative = parseBandFlag('density:mean:±10:lower');
    expect('check' in relative && relative.check.test).toEqual({
      type: 'band',
      band: { stat: 'mean', percent: 10, side: 'lower' },
    });
    const decimals = parseBandFlag('boot_time:cov:0.01..0.12');
    expect('check' in decimals && decimals.check.test).toEqual({
      type: 'band',
      band: { stat: 'cov', min: 0.01, max: 0.12 },
    });
    for (const bad of [
      'boot_time:p95',
      'boot_time:p95:..',
      'boot_time:p95:a..b',
      'boot_time:p95:±-3',
      'boot_time:p95:1..2:upper',
      'bootime:p95:..3',
    ]) {
      expect('problem' in parseBandFlag(bad)).toBe(true);
    }
  });
});

describe('bands in a gate', () => {
  let dir: string;
  let baseline: { path: string; result: RunResult };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtbench-bands-'));
    baseline = await makeBaseline(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const gates = {
    checks: [
      { metric: 'boot_time', engines: ['kvm'], band: { stat: 'p95', percent: 10, side: 'upper' } },
      { metric: 'boot_time', engines: ['kvm'], band: { stat: 'mean', percent: 10 } },
    ],
  };

  async function gateWith(
    kvmFirmwareExtraMs: number | undefined,
    name: string,
    overrides: Record<string, number> = {},
  ) {
    const entry =
      kvmFirmwareExtraMs === undefined ? undefined : await firmwareProfile(dir, 'kvm', kvmFirmwareExtraMs, overrides);
    const scenario = await writeVariant(
      dir,
      (doc) => {
        doc.gates = gates;
        if (entry) replaceEngine(doc, 'kvm', entry);
      },
      name,
    );
    const run = await runCli(['gate', '--baseline', baseline.path, scenario]);
    const verdicts = run.stdout
      .split('\n')
      .filter((l) => /^[PF]\s{2,}kvm\s+boot_time/.test(l))
      .map((l) => l[0]);
    return { run, verdicts };
  }

  it('both bands hold on an unchanged run', async () => {
    const { run, verdicts } = await gateWith(undefined, 'bands-unchanged.yaml');
    expect(run.code).toBe(0);
    expect(verdicts).toEqual(['P', 'P']);
    expect(run.stdout).toMatch(/p95 ≤ \S+ \(baseline\) \+10%/);
  });

  it('a faster VM passes the one-sided band and fails the two-sided one', async () => {
    // Direct kernel boot: no firmware POST, no boot loader.
    const { run, verdicts } = await gateWith(-350, 'bands-faster.yaml', { bootloaderMs: 0 });
    expect(verdicts).toEqual(['P', 'F']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/F kvm boot_time \(mean\): below the band/);
  });

  it('a slower VM fails both', async () => {
    const { run, verdicts } = await gateWith(0.2 * meanOf(baseline.result, 'kvm', 'boot_time'), 'bands-slower.yaml');
    expect(verdicts).toEqual(['F', 'F']);
    expect(run.code).toBe(1);
  });

  it('takes one-sided absolute bands from --band', async () => {
    const p95 = baseline.result.rows.find((r) => r.engine === 'kvm' && r.metric === 'boot_time')!.p95;
    const pass = await runCli([
      'gate',
      '--baseline',
      baseline.path,
      '--metrics',
      'image_size',
      '--band',
      `kvm/boot_time:p95:..${Math.ceil(p95 * 1.1)}`,
    ]);
    expect(pass.code).toBe(0);
    const fail = await runCli([
      'gate',
      '--baseline',
      baseline.path,
      '--metrics',
      'image_size',
      '--band',
      `kvm/boot_time:p95:..${Math.floor(p95 * 0.9)}`,
    ]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/F kvm boot_time \(p95\): above the band/);
    const lower = await runCli([
      'gate',
      '--baseline',
      baseline.path,
      '--metrics',
      'image_size',
      '--band',
      `kvm/boot_time:p95:${Math.floor(p95 * 0.5)}..`,
    ]);
    expect(lower.code).toBe(0);
  });
});
