import type { ResultRow } from '../bench/report/metrics.js';
import type { RunResult } from '../bench/report/results.js';
import { findHardware } from '../engines/hardware/index.js';
import { metricInfo } from '../engines/metrics.js';
import { summarize } from '../engines/shared/stats.js';

/** Hand-made results for unit tests of the gate: only what the gate reads, filled in consistently. */

export function row(
  engine: string,
  metric: string,
  samples: readonly number[],
  params: ResultRow['params'] = {},
): ResultRow {
  return {
    scenario: 'synthetic',
    engine,
    kind: 'type1',
    driver: 'model',
    hardware: 'felter2015-x3650m4',
    metric,
    unit: metricInfo(metric).unit,
    detail: '',
    params,
    ...summarize(samples),
    samples,
  };
}

export function makeResult(rows: readonly ResultRow[], overrides: Partial<RunResult> = {}): RunResult {
  const engines = [...new Set(rows.map((r) => r.engine))];
  return {
    schemaVersion: 1,
    scenario: { name: 'synthetic', file: 'synthetic.yaml', description: '' },
    seed: 1,
    repetitions: 30,
    environment: { virtbench: '0.1.0', node: 'v20.0.0', os: 'Linux 6.1', arch: 'x64', cpu: 'test cpu', cores: 2 },
    hardware: findHardware('felter2015-x3650m4')!,
    sweepParameters: [],
    engines: engines.map((id) => ({ id, title: id, kind: 'type1', driver: 'model' })),
    rows,
    skipped: [],
    notes: [],
    claims: [],
    ...overrides,
  };
}
