import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../bench/report/metrics.js';
import type { EngineSummary } from '../bench/report/results.js';
import { evaluateClaim } from '../bench/run/claims.js';
import { claimSchema } from '../bench/scenario/schema.js';

const engines: EngineSummary[] = [
  { id: 'docker', title: 'Docker', kind: 'container', driver: 'model' },
  { id: 'kvm', title: 'KVM', kind: 'type1', driver: 'model' },
  { id: 'vbox', title: 'VirtualBox', kind: 'type2', driver: 'model' },
];

function row(engine: string, metric: string, p50: number): ResultRow {
  const kind = engines.find((e) => e.id === engine)!.kind;
  return {
    scenario: 's',
    engine,
    kind,
    driver: 'model',
    hardware: 'h',
    metric,
    unit: 'x',
    detail: '',
    params: {},
    samples: [p50],
    n: 1,
    mean: p50,
    p50,
    p95: p50,
    p99: p50,
    min: p50,
    max: p50,
    stddev: 0,
    ci95Low: p50,
    ci95High: p50,
  };
}

const claim = (checks: unknown[]) => claimSchema.parse({ id: 'c', text: 'claim', checks });

describe('claims', () => {
  const rows = [
    row('docker', 'density', 256),
    row('kvm', 'density', 64),
    row('vbox', 'density', 60),
    row('docker', 'isolation', 256),
    row('kvm', 'isolation', 1),
    row('vbox', 'isolation', 1),
    row('kvm', 'boot_time.kernel_init', 500),
  ];

  it('compares selected engines with a constant', () => {
    expect(
      evaluateClaim(claim([{ metric: 'density', kinds: ['type1', 'type2'], op: '<', value: 100 }]), rows, engines)
        .holds,
    ).toBe(true);
    expect(
      evaluateClaim(claim([{ metric: 'density', kinds: ['type1', 'type2'], op: '<', value: 62 }]), rows, engines).holds,
    ).toBe(false);
  });

  it('compares every pair of two engine groups and names the tightest pair', () => {
    const result = evaluateClaim(
      claim([{ metric: 'density', kinds: ['container'], op: '>', than: { kinds: ['type1', 'type2'] } }]),
      rows,
      engines,
    );
    expect(result.holds).toBe(true);
    expect(result.evidence[1]).toBe('tightest pair: docker 256 vs kvm 64.0');
  });

  it('applies a factor to the other side', () => {
    const check = { metric: 'density', engines: ['docker'], op: '>', than: { engines: ['kvm'], factor: 4 } };
    expect(evaluateClaim(claim([check]), rows, engines).holds).toBe(false); // 256 > 256 is false
  });

  it("compares an engine's metric with its own other metric", () => {
    const check = { metric: 'isolation', kinds: ['container'], op: '==', than: { metric: 'density' } };
    expect(evaluateClaim(claim([check]), rows, engines).holds).toBe(true);
  });

  it('checks that a phase is absent', () => {
    expect(
      evaluateClaim(claim([{ metric: 'boot_time.kernel_init', kinds: ['container'], op: 'absent' }]), rows, engines)
        .holds,
    ).toBe(true);
    expect(
      evaluateClaim(claim([{ metric: 'boot_time.kernel_init', kinds: ['type1'], op: 'absent' }]), rows, engines).holds,
    ).toBe(false);
  });

  it('is not applicable when no engine of the run matches', () => {
    const result = evaluateClaim(claim([{ metric: 'density', kinds: ['microvm'], op: '>', value: 1 }]), rows, engines);
    expect(result.holds).toBeNull();
  });
});
