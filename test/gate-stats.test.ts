import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWorse, relativeChange } from '../bench/gate/change.js';
import type { GatePlan } from '../bench/gate/config.js';
import { buildPlan, DEFAULT_AB } from '../bench/gate/config.js';
import { benjaminiHochbergAdjust, holmAdjust } from '../bench/gate/correction.js';
import { compareEnvironments } from '../bench/gate/environment.js';
import { evaluateGate, gatePassed } from '../bench/gate/evaluate.js';
import { bootstrapInterval, permutationTest, smallestAttainablePValue } from '../bench/gate/resampling.js';
import { renderGateTable } from '../bench/gate/table.js';
import type { RunResult } from '../bench/report/results.js';
import { scenarioRecord } from '../bench/run/result.js';
import { loadScenario } from '../bench/scenario/load.js';
import { createRandom, noiseFactor } from '../engines/shared/random.js';
import { summarize } from '../engines/shared/stats.js';
import { makeResult, row } from './gate-synthetic.js';
import { SEED_SCENARIO } from './helpers.js';

describe('permutation test', () => {
  it('gives p = 1 for identical samples and the smallest possible p for separated ones', () => {
    const a = Array.from({ length: 30 }, (_, i) => 100 + i);
    expect(permutationTest(a, a, { statistic: 'mean', resamples: 9999, seed: 1 }).pValue).toBe(1);
    const b = a.map((v) => v + 100);
    const separated = permutationTest(a, b, { statistic: 'mean', resamples: 9999, seed: 1 });
    expect(separated.difference).toBe(100);
    expect(separated.pValue).toBe(1 / 10000);
    expect(permutationTest(a, b, { statistic: 'median', resamples: 9999, seed: 1 }).pValue).toBe(1 / 10000);
  });

  it('matches the exact p-value of full enumeration on a small sample', () => {
    // 3 + 3 samples have C(6,3) = 20 relabelings; only the observed split and its mirror reach |3|.
    const outcome = permutationTest([1, 2, 3], [4, 5, 6], { statistic: 'mean', resamples: 99_999, seed: 7 });
    expect(outcome.pValue).toBeGreaterThan(0.095);
    expect(outcome.pValue).toBeLessThan(0.105);
    expect(smallestAttainablePValue(3, 3)).toBeCloseTo(0.1, 12);
    expect(smallestAttainablePValue(30, 30)).toBeLessThan(1e-15);
  });

  it('is reproducible for a seed', () => {
    const random = createRandom(3);
    const a = Array.from({ length: 20 }, () => 50 * noiseFactor(random, 0.1));
    const b = Array.from({ length: 20 }, () => 52 * noiseFactor(random, 0.1));
    const first = permutationTest(a, b, { statistic: 'median', resamples: 9999, seed: 11 });
    expect(permutationTest(a, b, { statistic: 'median', resamples: 9999, seed: 11 })).toEqual(first);
  });

  it('rejects a true null at about the nominal rate', () => {
    const random = createRandom(2024);
    let rejected = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const a = Array.from({ length: 20 }, () => 100 * noiseFactor(random, 0.05));
      const b = Array.from({ length: 20 }, () => 100 * noiseFactor(random, 0.05));
      if (permutationTest(a, b, { statistic: 'mean', resamples: 9999, seed: t }).pValue <= 0.05) rejected++;
    }
    // Binomial(300, 0.05): mean 15, so 5..27 covers it with room to spare.
    expect(rejected).toBeGreaterThanOrEqual(5);
    expect(rejected).toBeLessThanOrEqual(27);
  });
});

describe('multiple-comparison corrections', () => {
  it('Holm and Benjamini-Hochberg match hand-computed adjustments', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    expect(holmAdjust(p).map((v) => Number(v.toFixed(10)))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(benjaminiHochbergAdjust(p).map((v) => Number(v.toFixed(10)))).toEqual([0.02, 0.04, 0.04, 0.02]);
  });

  it('never lowers a p-value, stays within 1, keeps the order, and BH is never stricter than Holm', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }), (p) => {
        const holm = holmAdjust(p);
        const bh = benjaminiHochbergAdjust(p);
        p.forEach((raw, i) => {
          expect(holm[i]!).toBeGreaterThanOrEqual(raw);
          expect(holm[i]!).toBeLessThanOrEqual(1);
          expect(bh[i]!).toBeGreaterThanOrEqual(raw - 1e-15);
          expect(bh[i]!).toBeLessThanOrEqual(holm[i]! + 1e-12);
          p.forEach((other, j) => {
            if (raw < other) expect(holm[i]!).toBeLessThanOrEqual(holm[j]!);
          });
        });
      }),
    );
  });
});

describe('bootstrap interval', () => {
  it('brackets the observed change and collapses for constant samples', () => {
    const random = createRandom(9);
    const a = Array.from({ length: 30 }, () => 1000 * noiseFactor(random, 0.05));
    const b = Array.from({ length: 30 }, () => 1100 * noiseFactor(random, 0.05));
    const change = relativeChange('boot_time', summarize(a).mean, summarize(b).mean);
    const [low, high] = bootstrapInterval(
      a,
      b,
      { statistic: 'mean', resamples: 9999, seed: 1, confidence: 0.95 },
      (x, y) => relativeChange('boot_time', x, y),
    );
    expect(low).toBeLessThan(change);
    expect(high).toBeGreaterThan(change);
    expect(low).toBeGreaterThan(3);
    expect(high).toBeLessThan(17);
    expect(
      bootstrapInterval([5, 5], [6, 6], { statistic: 'median', resamples: 9999, seed: 1, confidence: 0.95 }, (x, y) =>
        relativeChange('image_size', x, y),
      ),
    ).toEqual([20, 20]);
  });
});

describe('relative change', () => {
  it('compares overhead as run time, so a native overhead near 0% has a meaningful change', () => {
    expect(relativeChange('overhead_total', 0.02, -0.03)).toBeCloseTo(-0.05, 3);
    expect(relativeChange('overhead_total', 10, 15.5)).toBeCloseTo(5, 6);
    expect(relativeChange('boot_time', 200, 240)).toBeCloseTo(20, 12);
    expect(relativeChange('density', 0, 0)).toBe(0);
    expect(relativeChange('density', 0, 3)).toBe(Infinity);
  });

  it('knows which direction is worse', () => {
    expect(isWorse('boot_time', 3)).toBe(true);
    expect(isWorse('density', 3)).toBe(false);
    expect(isWorse('density', -3)).toBe(true);
  });
});

describe('family-wise control across a gate', () => {
  const plan = (correction: GatePlan['correction']): GatePlan => ({
    checks: [
      {
        metric: 'boot_time',
        test: { type: 'ab', settings: { ...DEFAULT_AB, threshold: 0 } },
        origin: { file: 'test' },
        path: 'test',
        explicit: true,
      },
    ],
    correction,
    resamples: 9999,
    seed: 1,
    source: 'test',
  });
  /** Ten engines of pure noise, the same distribution in both runs: any failure is a false one. */
  function nullPair(seed: number): [RunResult, RunResult] {
    const random = createRandom(seed);
    const draw = () => Array.from({ length: 30 }, () => 500 * noiseFactor(random, 0.05));
    const engines = Array.from({ length: 10 }, (_, i) => `engine-${i}`);
    return [
      makeResult(engines.map((e) => row(e, 'boot_time', draw()))),
      makeResult(engines.map((e) => row(e, 'boot_time', draw()))),
    ];
  }

  it('Holm keeps false failures of whole gates near α where per-check testing does not', () => {
    let holmFailures = 0;
    let uncorrectedFailures = 0;
    for (let g = 0; g < 30; g++) {
      const [a, b] = nullPair(g + 1);
      if (!gatePassed(evaluateGate(a, b, plan('holm')))) holmFailures++;
      if (!gatePassed(evaluateGate(a, b, plan('none')))) uncorrectedFailures++;
    }
    // 10 checks at α = 0.01 without correction fail about 1 - 0.99^10 = 9.6% of 30 gates; Holm at most 1%.
    expect(holmFailures).toBeLessThanOrEqual(1);
    expect(uncorrectedFailures).toBeGreaterThan(holmFailures);
  });
});

describe('environment comparison', () => {
  const samples = Array.from({ length: 30 }, (_, i) => 100 + i);
  const modeled = makeResult([row('kvm', 'boot_time', samples)]);
  const otherHost = { ...modeled.environment, cpu: 'another cpu', cores: 64, node: 'v22.0.0' };

  it('shows a different host for modeled results but does not refuse it', () => {
    const env = compareEnvironments(modeled, { ...modeled, environment: otherHost });
    expect(env.blocking).toEqual([]);
    expect(env.informational.map((d) => d.field)).toEqual(['environment.cpu', 'environment.cores', 'environment.node']);
  });

  it('refuses a different host once real measurements are involved', () => {
    const real = makeResult([{ ...row('docker', 'boot_time', samples), driver: 'real' }]);
    const env = compareEnvironments(real, { ...real, environment: otherHost });
    expect(env.blocking.map((d) => `${d.field}: ${d.baseline} -> ${d.current}`)).toEqual([
      'environment.cpu: "test cpu" -> "another cpu"',
      'environment.cores: 2 -> 64',
    ]);
  });

  const linux = (os: string, kernel: string) => ({ ...modeled.environment, os, kernel, hostname: 'a' });

  it('shows a different OS and kernel for modeled results, which the model does not read, but refuses them for real ones', () => {
    const before = { ...modeled, environment: linux('Debian GNU/Linux 12 (bookworm)', 'Linux 6.1.0') };
    const after = { ...modeled, environment: { ...linux('Ubuntu 24.04 LTS', 'Linux 6.8.0'), hostname: 'b' } };
    const env = compareEnvironments(before, after);
    expect(env.blocking).toEqual([]);
    expect(env.informational.map((d) => d.field)).toEqual([
      'environment.os',
      'environment.kernel',
      'environment.hostname',
    ]);
    const real = makeResult([{ ...row('docker', 'boot_time', samples), driver: 'real' }]);
    const realEnv = compareEnvironments(
      { ...real, environment: before.environment },
      { ...real, environment: after.environment },
    );
    expect(realEnv.blocking.map((d) => d.field)).toEqual(['environment.os', 'environment.kernel']);
    expect(realEnv.informational.map((d) => d.field)).toEqual(['environment.hostname']);
  });

  it('refuses another scenario field by field, and only shows another seed or repetition count', async () => {
    const scenario = await loadScenario(SEED_SCENARIO);
    const baseline = { ...modeled, scenario: scenarioRecord(scenario) };
    const same = { ...modeled, scenario: scenarioRecord(await loadScenario(SEED_SCENARIO)) };
    expect(compareEnvironments(baseline, same)).toEqual({ blocking: [], informational: [] });

    const heavier = scenarioRecord({
      ...scenario,
      workload: { ...scenario.workload, computeGcycles: scenario.workload.computeGcycles * 2 },
      engines: scenario.engines.map((e) =>
        e.engine.id === 'kvm' ? { ...e, options: { ...e.options, memoryMiB: 4096 } } : e,
      ),
    });
    expect(compareEnvironments(baseline, { ...modeled, scenario: heavier }).blocking).toEqual([
      {
        field: 'scenario.workload.computeGcycles',
        baseline: String(scenario.workload.computeGcycles),
        current: String(scenario.workload.computeGcycles * 2),
      },
      { field: 'scenario.engines[kvm].options.memoryMiB', baseline: '2048', current: '4096' },
    ]);

    const reseeded = scenarioRecord({ ...scenario, seed: 7, repetitions: 10 });
    const env = compareEnvironments(baseline, { ...modeled, scenario: reseeded });
    expect(env.blocking).toEqual([]);
    expect(env.informational.map((d) => d.field)).toEqual(['scenario.seed', 'scenario.repetitions']);
  });

  it('says when an older baseline records no scenario to check', async () => {
    const current = { ...modeled, scenario: scenarioRecord(await loadScenario(SEED_SCENARIO)) };
    const env = compareEnvironments(modeled, current);
    expect(env.blocking).toEqual([]);
    expect(env.informational).toEqual([
      { field: 'scenario.resolved', baseline: 'not recorded (an older result)', current: 'recorded' },
    ]);
  });

  it('refuses a different modeled hardware profile field by field, not by its name', () => {
    const renamed = { ...modeled, hardware: { ...modeled.hardware, id: 'same-box-renamed', description: 'renamed' } };
    expect(compareEnvironments(modeled, renamed).blocking).toEqual([]);
    const smaller = { ...modeled, hardware: { ...modeled.hardware, memory: { ...modeled.hardware.memory, gib: 64 } } };
    expect(compareEnvironments(modeled, smaller).blocking).toEqual([
      { field: 'hardware.memory.gib', baseline: '256', current: '64' },
    ]);
  });
});

describe('checks across sweep points', () => {
  it('expands one check per engine and point and names the point', async () => {
    const samples = (base: number) => Array.from({ length: 30 }, (_, i) => base + i);
    const baseline = makeResult(
      [
        row('kvm', 'boot_time', samples(1000), { 'options.vcpus': 1 }),
        row('kvm', 'boot_time', samples(1000), { 'options.vcpus': 2 }),
      ],
      { sweepParameters: ['options.vcpus'] },
    );
    const current = makeResult(
      [
        row('kvm', 'boot_time', samples(1000), { 'options.vcpus': 1 }),
        row('kvm', 'boot_time', samples(1300), { 'options.vcpus': 2 }),
      ],
      { sweepParameters: ['options.vcpus'] },
    );
    const report = evaluateGate(baseline, current, await buildPlan(undefined, { metrics: ['boot_time'] }));
    expect(report.checks.map((c) => [c.params, c.passed])).toEqual([
      [{ 'options.vcpus': 1 }, true],
      [{ 'options.vcpus': 2 }, false],
    ]);
    expect(renderGateTable(report, { color: false })).toMatch(/^F\s+kvm \[options\.vcpus=2\]\s+boot_time \(mean\)/m);
  });

  it('fails a check whose row vanished from the current run, saying why', async () => {
    const baseline = makeResult([row('kvm', 'boot_time', [1, 2, 3]), row('docker', 'boot_time', [1, 2, 3])]);
    const current = makeResult([row('docker', 'boot_time', [1, 2, 3])], {
      skipped: [{ engine: 'kvm', params: {}, reasons: ['the host has no hardware virtualization'] }],
    });
    const report = evaluateGate(baseline, current, await buildPlan(undefined, { metrics: ['boot_time'] }));
    const kvm = report.checks.find((c) => c.engine === 'kvm')!;
    expect(kvm.passed).toBe(false);
    expect(kvm.verdict).toBe('not in the current run: the host has no hardware virtualization');
  });
});

describe('engines the baseline lacks', () => {
  it('are named in a warning rather than silently ignored', async () => {
    const samples = [1, 2, 3, 4];
    const baseline = makeResult([row('kvm', 'boot_time', samples)]);
    const current = makeResult([row('kvm', 'boot_time', samples), row('xen', 'boot_time', samples)]);
    const report = evaluateGate(baseline, current, await buildPlan(undefined, { metrics: ['boot_time'] }));
    expect(report.checks.map((c) => c.engine)).toEqual(['kvm']);
    expect(report.warnings).toContain(
      'not in the baseline, so nothing checks them: xen; update the baseline to gate them',
    );
  });
});
