import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { type CrossValidatedRow, offByFactor, summarizeScheme } from '../bench/calibrate/cross-validate.js';
import {
  crossValidateModel,
  type FitModel,
  type FitParameter,
  type Overrides,
  sensitivity,
} from '../bench/calibrate/cross-validate-fit.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { overrideParams } from '../engines/modeled/override.js';
import { loadEngine } from '../engines/registry.js';
import { runCli, withTempDir } from './helpers.js';

/**
 * A model whose answers are worked by hand: rows r1 = a and r2 = a x b (study S1), r3 = b and
 * r4 = c (study S2), each benchmark its own; a cites r1, b cites r3, c cites r4. As published the
 * model reproduces every row exactly.
 */
function syntheticModel(options: { cPrior: boolean }) {
  const peer = (id: string, value: number): FitParameter => ({
    id,
    value,
    cites: () => false,
    priors: [],
    scale: value,
  });
  const aPeer = peer('a of another engine', 4);
  const cPeer = peer('c of another engine', 7);
  const a: FitParameter = {
    id: 'a',
    value: 2,
    cites: (r) => r === 'r1',
    priors: [{ from: 'a elsewhere', peers: [aPeer] }],
    scale: 4,
  };
  const b: FitParameter = { id: 'b', value: 3, cites: (r) => r === 'r3', priors: [], scale: 3 };
  const c: FitParameter = {
    id: 'c',
    value: 5,
    cites: (r) => r === 'r4',
    priors: options.cPrior ? [{ from: 'c elsewhere', peers: [cPeer] }] : [],
    scale: 7,
  };
  const value = (p: FitParameter, overrides: Overrides) => overrides.get(p) ?? p.value;
  const formulas: Record<string, (o: Overrides) => number> = {
    r1: (o) => value(a, o),
    r2: (o) => value(a, o) * value(b, o),
    r3: (o) => value(b, o),
    r4: (o) => value(c, o),
  };
  const model: FitModel = {
    rows: [
      { id: 'r1', study: 'S1', benchmark: 'b1', published: 2, gated: true },
      { id: 'r2', study: 'S1', benchmark: 'b2', published: 6, gated: true },
      { id: 'r3', study: 'S2', benchmark: 'b3', published: 3, gated: true },
      { id: 'r4', study: 'S2', benchmark: 'b4', published: 5, gated: true },
    ],
    parameters: [a, b, c],
    predict: async (id, overrides) => formulas[id]!(overrides),
    reachable: () => new Set([a, b, c]),
  };
  return { model, a, b, c };
}

describe('cross-validation on a model worked by hand', () => {
  it('finds the rows each parameter moves by perturbing it', async () => {
    const { model, a, b, c } = syntheticModel({ cPrior: true });
    const moves = await sensitivity(model);
    expect([...moves.get(a)!]).toEqual(['r1', 'r2']);
    expect([...moves.get(b)!]).toEqual(['r2', 'r3']);
    expect([...moves.get(c)!]).toEqual(['r4']);
  });

  it('re-fits what a held-out row set from the rows left, or falls back to its prior', async () => {
    const { model } = syntheticModel({ cPrior: true });
    const [study, benchmark] = await crossValidateModel(model);

    // S1 out: no remaining row moves a, so a takes its prior 4; r1 = 4, r2 = 4 x 3.
    const s1 = study!.folds[0]!;
    expect(s1.heldOut).toBe('S1');
    expect(s1.refitted).toEqual([]);
    expect(s1.fellBack).toEqual([{ id: 'a', published: 2, fitted: 4, prior: 'a elsewhere (median of 1)' }]);
    expect(study!.predictions.get('r1')).toBe(4);
    expect(study!.predictions.get('r2')).toBe(12);
    // S2 out: b is re-fitted from r2 = a x b = 6 with a = 2, so 3 again; c falls back to 7.
    const s2 = study!.folds[1]!;
    expect(s2.refitted.map((p) => [p.id, p.rows])).toEqual([['b', ['r2']]]);
    expect(s2.refitted[0]!.fitted).toBeCloseTo(3, 5);
    expect(s2.fellBack.map((p) => [p.id, p.fitted])).toEqual([['c', 7]]);
    expect(study!.predictions.get('r3')).toBeCloseTo(3, 5);
    expect(study!.predictions.get('r4')).toBe(7);

    // One benchmark out: r1 out re-fits a from r2 (6 / 3 = 2); nothing cites r2; r4 out takes c's prior.
    expect(benchmark!.folds.map((f) => f.heldOut)).toEqual(['S1/b1', 'S1/b2', 'S2/b3', 'S2/b4']);
    expect(benchmark!.folds[0]!.refitted[0]!.fitted).toBeCloseTo(2, 5);
    expect(benchmark!.predictions.get('r1')).toBeCloseTo(2, 5);
    expect(benchmark!.folds[1]!.refitted).toEqual([]);
    expect(benchmark!.predictions.get('r2')).toBe(6);
    expect(benchmark!.predictions.get('r3')).toBeCloseTo(3, 5);
    expect(benchmark!.predictions.get('r4')).toBe(7);
  });

  it('keeps a parameter with neither remaining rows nor a prior, and marks the rows it moves as still in sample', async () => {
    const { model } = syntheticModel({ cPrior: false });
    const [study] = await crossValidateModel(model, ['study']);
    const s2 = study!.folds[1]!;
    expect(s2.kept).toEqual([{ id: 'c', value: 5, why: 'no remaining row moves it and it has no prior' }]);
    expect([...study!.inSample]).toEqual(['r4']);
    expect(study!.predictions.get('r4')).toBe(5);
  });
});

function row(id: string, errorPct: number | undefined, inSample = false): CrossValidatedRow {
  const prediction = { ...(errorPct === undefined ? {} : { errorPct }), ...(inSample ? { inSample } : {}) };
  return {
    id,
    study: 's',
    benchmark: id,
    engine: 'e',
    unit: 'ms',
    gated: true,
    published: 1,
    outOfSample: { study: prediction, benchmark: prediction },
  };
}

describe('cross-validation limits', () => {
  const limits = { medianPct: 25, maxFactor: 2 };

  it('a factor counts either way: +100% and -50% are both 2x', () => {
    expect(offByFactor({ errorPct: 100 })).toBe(2);
    expect(offByFactor({ errorPct: -50 })).toBe(2);
    expect(offByFactor({})).toBe(Infinity);
  });

  it('passes within both limits, and fails on the median or on one row off by more than the factor', () => {
    expect(summarizeScheme([row('a', 10), row('b', -20), row('c', 90)], 'study', limits)).toMatchObject({
      rows: 3,
      medianAbsErrorPct: 20,
      passed: true,
      failing: [],
    });
    expect(summarizeScheme([row('a', 30), row('b', -30), row('c', 5)], 'study', limits)).toMatchObject({
      medianAbsErrorPct: 30,
      passed: false,
    });
    const off = summarizeScheme([row('a', 1), row('b', 2), row('c', -60)], 'study', limits);
    expect(off.passed).toBe(false);
    expect(off.failing.map((r) => r.id)).toEqual(['c']);
    expect(off.worst?.id).toBe('c');
    // A row still in sample is left out and counted; a row with no prediction fails.
    const left = summarizeScheme([row('a', 1), row('b', 500, true), row('c', undefined)], 'study', limits);
    expect(left).toMatchObject({ rows: 2, inSample: 1, passed: false });
    expect(left.failing.map((r) => r.id)).toEqual(['c']);
  });
});

describe('parameter overrides', () => {
  it('change a shared parameter wherever it is used, and leave the engine files alone', async () => {
    const kvm = ((await loadEngine('kvm')) as ModeledEngine).spec;
    const firecracker = ((await loadEngine('firecracker')) as ModeledEngine).spec;
    const shared = kvm.costs.cpuFraction;
    expect(firecracker.costs.cpuFraction).toBe(shared);
    const overrides = new Map([[shared, 0.5]]);
    const kvm2 = overrideParams(kvm, overrides);
    const firecracker2 = overrideParams(firecracker, overrides);
    expect(kvm2.costs.cpuFraction).toEqual({ ...shared, value: 0.5 });
    expect(firecracker2.costs.cpuFraction.value).toBe(0.5);
    expect(kvm.costs.cpuFraction.value).toBe(0.02322);
    // What holds no overridden parameter is shared, and nothing overridden gives the spec itself.
    expect(kvm2.boot).toBe(kvm.boot);
    expect(overrideParams(kvm, new Map())).toBe(kvm);
  });
});

describe('virtbench calibrate --cross-validate', () => {
  it('refuses a factor below 1 (exit 2)', async () => {
    const run = await runCli(['calibrate', '--cross-validate', '--max-factor', '0.5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--max-factor must be a number of at least 1');
  });

  it('exits 1 when a row is off by more than the factor, writes both CSVs, and starts from the calibrated model', async () => {
    await withTempDir(async (dir) => {
      const run = await runCli(['calibrate', '--cross-validate', '--quiet', '--out', dir]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/leave one study out: \d+ gated rows/);
      expect(run.stdout).toMatch(/leave one benchmark out: \d+ gated rows/);
      const rows: Record<string, string>[] = parse(await readFile(join(dir, 'cross-validation.csv'), 'utf8'), {
        columns: true,
      });
      const parameters: Record<string, string>[] = parse(
        await readFile(join(dir, 'cross-validation-parameters.csv'), 'utf8'),
        { columns: true },
      );
      expect(new Set(parameters.map((p) => p.outcome))).toEqual(new Set(['refitted', 'prior', 'kept']));
      // Every row's prediction with nothing held out is what `virtbench calibrate` reports (the
      // tolerance is not what this compares: calibrate misses nine storm rows by 10-20%).
      expect((await runCli(['calibrate', '--quiet', '--tolerance', '20', '--out', dir])).code).toBe(0);
      const calibration: Record<string, string>[] = parse(await readFile(join(dir, 'calibration.csv'), 'utf8'), {
        columns: true,
      });
      expect(rows.map((r) => r.id)).toEqual(calibration.map((r) => r.id));
      for (const [i, r] of rows.entries()) {
        // Both files round to six significant digits.
        expect(Math.abs(Number(r.in_sample_model) / Number(calibration[i]!.model) - 1)).toBeLessThan(1e-5);
      }
      // The exit is 1 because some gated row is off by more than 2x out of sample.
      const worst = Math.max(
        ...rows
          .filter((r) => r.gated === 'yes')
          .flatMap((r) => [Number(r.study_error_pct), Number(r.benchmark_error_pct)])
          .map((e) => Math.max(1 + e / 100, 1 / (1 + e / 100))),
      );
      expect(worst).toBeGreaterThan(2);
    });
  }, 600_000);
});
