import { createColors } from 'picocolors';
import { hasEngine } from '../../engines/registry.js';
import { formatNumber, formatValue } from './format.js';
import type { ResultRow } from './metrics.js';
import type { RunResult } from './results.js';

/**
 * Each real driver beside the model's prediction for the same host, and how far the model is
 * off. Pure: a function of the run result only.
 */

/**
 * How to add a modeled counterpart to a scenario: a built-in engine by its id; one that is an
 * engine profile (runc, namespaces) by its file, since an id alone names no profile.
 */
function addCounterpart(id: string): string {
  if (hasEngine(id)) return `add "- ${id}" to the scenario's engines`;
  return `"${id}" is an engine profile, not a built-in engine: add "- profile: <path to its YAML>" to the scenario's engines, as scenarios/real-host.yaml does`;
}

/** The metrics compared, in report order; boot phases a driver reports follow boot_time. */
const COMPARED = [
  'boot_time',
  'image_size',
  'image_size.compressed',
  'density',
  'density.memory_per_instance',
  'throughput',
  'latency',
  'latency.p99',
  'overhead_cpu',
  'overhead_memory',
  'overhead_disk',
  'overhead_network',
  'overhead_total',
  'isolation.shared_kernel',
  'boot_storm',
  'boot_storm.p50',
  'boot_storm.p99',
  'boot_storm.rate',
] as const;

/** Absolute application figures: shown even when the model predicts none of them. */
const APPLICATION_METRICS: ReadonlySet<string> = new Set(['throughput', 'latency', 'latency.p99']);

export interface MetricComparison {
  readonly metric: string;
  readonly unit: string;
  readonly measured: number;
  /** Undefined when the model does not predict this metric (yet): the measurement stands alone. */
  readonly modeled?: number;
  /**
   * How far the model is off: relative (modeled / measured - 1, in %) for quantities, the
   * difference in percentage points for overheads (themselves percentages), 0 or 1 for flags.
   */
  readonly error?: number;
  readonly errorKind?: 'relative' | 'points' | 'match';
}

export interface DriverComparison {
  readonly driver: string;
  readonly counterpart: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly metrics: readonly MetricComparison[];
}

/** What a measured value and a modeled one differ by, in the metric's own terms. */
export function modelError(
  unit: string,
  measured: number,
  modeled: number,
): Pick<MetricComparison, 'error' | 'errorKind'> {
  if (unit === '%') return { error: modeled - measured, errorKind: 'points' };
  if (unit === 'flag') return { error: modeled >= 0.5 === measured >= 0.5 ? 0 : 1, errorKind: 'match' };
  if (measured === 0) return { error: modeled === 0 ? 0 : Infinity, errorKind: 'relative' };
  return { error: (modeled / measured - 1) * 100, errorKind: 'relative' };
}

function key(params: ResultRow['params']): string {
  return JSON.stringify(params);
}

/** Pairs every real driver's rows with its modeled counterpart's rows at the same sweep point. */
export function compareModelWithReal(result: RunResult): DriverComparison[] {
  const comparisons: DriverComparison[] = [];
  for (const engine of result.engines.filter((e) => e.driver === 'real' && e.modeledCounterpart)) {
    const counterpart = engine.modeledCounterpart!;
    const realRows = result.rows.filter((r) => r.engine === engine.id && r.driver === 'real');
    const points = [...new Set(realRows.map((r) => key(r.params)))];
    for (const point of points) {
      const real = realRows.filter((r) => key(r.params) === point);
      const model = result.rows.filter(
        (r) => r.engine === counterpart && r.driver === 'model' && key(r.params) === point,
      );
      if (model.length === 0) continue;
      const phases = real.map((r) => r.metric).filter((m) => m.startsWith('boot_time.'));
      const metrics: MetricComparison[] = [];
      for (const metric of [COMPARED[0], ...phases, ...COMPARED.slice(1)]) {
        const measured = real.find((r) => r.metric === metric);
        const modeled = model.find((r) => r.metric === metric);
        if (!measured) continue;
        // A measured application figure the model has no prediction for stays, beside an empty model column.
        if (!modeled) {
          if (APPLICATION_METRICS.has(metric)) metrics.push({ metric, unit: measured.unit, measured: measured.p50 });
          continue;
        }
        metrics.push({
          metric,
          unit: measured.unit,
          measured: measured.p50,
          modeled: modeled.p50,
          ...modelError(measured.unit, measured.p50, modeled.p50),
        });
      }
      comparisons.push({ driver: engine.id, counterpart, params: real[0]!.params, metrics });
    }
  }
  return comparisons;
}

/** Whether a run has anything for this report: a real row and its counterpart's rows. */
export function hasRealRows(result: RunResult): boolean {
  return result.rows.some((r) => r.driver === 'real');
}

function formatError(m: MetricComparison): string {
  if (m.error === undefined) return '—';
  switch (m.errorKind) {
    case 'points':
      return `${m.error >= 0 ? '+' : ''}${formatNumber(m.error)} pp`;
    case 'match':
      return m.error === 0 ? 'match' : 'differs';
    default:
      return Number.isFinite(m.error) ? `${m.error >= 0 ? '+' : ''}${formatNumber(m.error)}%` : 'n/a';
  }
}

export function renderModelVsReal(result: RunResult, options: { color: boolean }): string {
  const c = createColors(options.color);
  const comparisons = compareModelWithReal(result);
  const unpaired = result.engines.filter(
    (e) =>
      e.driver === 'real' &&
      result.rows.some((r) => r.engine === e.id && r.driver === 'real') &&
      !comparisons.some((cmp) => cmp.driver === e.id),
  );
  if (comparisons.length === 0 && unpaired.length === 0) return '';
  const out = [
    c.bold(`Model vs measurement on ${result.hardware.id}`) +
      c.dim(' (p50; error: model / measured - 1, overheads in percentage points)'),
  ];
  for (const cmp of comparisons) {
    const point = Object.entries(cmp.params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    out.push(
      '',
      `${c.bold(cmp.driver)} (real) vs ${c.bold(cmp.counterpart)} (model)${point ? c.dim(` [${point}]`) : ''}`,
    );
    const lines = [['metric', 'measured', 'model', 'error']];
    for (const m of cmp.metrics)
      lines.push([
        m.metric,
        formatValue(m.measured, m.unit),
        m.modeled === undefined ? '—' : formatValue(m.modeled, m.unit),
        formatError(m),
      ]);
    const widths = lines[0]!.map((_, col) => Math.max(...lines.map((l) => l[col]!.length)));
    lines.forEach((line, i) => {
      const text = line.map((v, col) => (col === 0 ? v.padEnd(widths[col]!) : v.padStart(widths[col]!))).join('  ');
      out.push(`  ${i === 0 ? c.dim(text) : text}`);
    });
  }
  for (const engine of unpaired) {
    const why = engine.modeledCounterpart
      ? `its modeled counterpart "${engine.modeledCounterpart}" is not in this run; ${addCounterpart(engine.modeledCounterpart)}`
      : 'it names no modeled counterpart';
    out.push('', c.yellow(`${engine.id} (real): no model beside it: ${why}`));
  }
  return out.join('\n');
}
