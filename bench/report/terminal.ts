import { createColors } from 'picocolors';
import { metricInfo } from '../../engines/metrics.js';
import { renderCurve, renderTimeline, stormTimeline, sweepCurves } from './curves.js';
import { CHARTED_METRICS, COMPARISON_ROWS, formatEstimate, isNoiseAroundZero } from './format.js';
import type { ResultRow } from './metrics.js';
import { hasRealRows, renderModelVsReal } from './model-vs-real.js';
import type { EngineSummary, RunResult } from './results.js';

export interface TerminalOptions {
  readonly color: boolean;
  /** Width of bar charts, in characters. */
  readonly barWidth?: number;
}

type Colors = ReturnType<typeof createColors>;

export function renderTerminal(result: RunResult, options: TerminalOptions): string {
  const c = createColors(options.color);
  const out: string[] = [];
  const hw = result.hardware;
  out.push(
    c.bold(`virtbench · ${result.scenario.name}`) +
      c.dim(
        ` · ${hw.id} (${hw.cpu.sockets}x${hw.cpu.coresPerSocket}x${hw.cpu.threadsPerCore} @ ${hw.cpu.ghz} GHz, ${hw.memory.gib} GiB)` +
          ` · seed ${result.seed} · ${result.repetitions} repetitions`,
      ),
  );
  if (result.scenario.description) out.push(c.dim(result.scenario.description.trim()));
  out.push('');

  const firstPoint = result.rows[0] ? JSON.stringify(result.rows[0].params) : '{}';
  const pointRows = result.rows.filter((r) => JSON.stringify(r.params) === firstPoint);
  if (result.sweepParameters.length > 0) out.push(c.dim(`Table at the first sweep point ${firstPoint}; curves below.`));
  out.push(comparisonTable(result, pointRows, c));

  if (result.claims.length > 0) {
    out.push('', c.bold('Claims'));
    for (const claim of result.claims) {
      const mark = claim.holds === null ? c.yellow('–') : claim.holds ? c.green('✓') : c.red('✗');
      out.push(`${mark} ${claim.text}${claim.holds === null ? c.dim(' (not applicable)') : ''}`);
      for (const line of claim.evidence) out.push(c.dim(`    ${line}`));
    }
  }

  for (const metric of CHARTED_METRICS) {
    const chart = barChart(result, pointRows, metric, options.barWidth ?? 40, c);
    if (chart) out.push('', chart);
  }

  for (const chart of sweepCharts(result, c)) out.push('', chart);
  const timeline = stormTimeline(result);
  if (timeline) out.push('', renderTimeline(timeline, c));

  if (hasRealRows(result)) {
    const modelVsReal = renderModelVsReal(result, { color: options.color });
    if (modelVsReal) out.push('', modelVsReal);
  }

  if (result.skipped.length > 0) {
    out.push('', c.bold('Skipped'));
    for (const s of result.skipped) out.push(c.yellow(`  ${s.engine}${pointLabel(s.params)}: ${s.reasons.join('; ')}`));
  }
  if (result.notes.length > 0) {
    out.push('', c.bold('Notes'));
    for (const note of result.notes) out.push(c.dim(`  ${note}`));
  }
  return `${out.join('\n')}\n`;
}

/** An engine's column name; a real driver is marked, since it may share its id with a modeled engine. */
function engineLabel(engine: EngineSummary): string {
  return engine.driver === 'real' ? `${engine.id} (real)` : engine.id;
}

function pointLabel(params: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(params);
  return entries.length === 0 ? '' : ` [${entries.map(([k, v]) => `${k}=${String(v)}`).join(' ')}]`;
}

function comparisonTable(result: RunResult, rows: readonly ResultRow[], c: Colors): string {
  const engines = result.engines.filter((e) => rows.some((r) => r.engine === e.id && r.driver === e.driver));
  const cell = (engine: EngineSummary, metric: string): string => {
    const row = rows.find((r) => r.engine === engine.id && r.driver === engine.driver && r.metric === metric);
    if (!row) return '—';
    return formatEstimate(row);
  };
  const lines: string[][] = [];
  lines.push(['', ...engines.map(engineLabel)]);
  lines.push(['kind', ...engines.map((e) => e.kind)]);
  lines.push([
    'Boots a guest kernel',
    ...engines.map((e) =>
      rows.some(
        (r) =>
          r.engine === e.id &&
          r.driver === e.driver &&
          (r.metric === 'boot_time.kernel_init' || r.metric === 'boot_time.kernel'),
      )
        ? 'yes'
        : 'no',
    ),
  ]);
  for (const { label, metric } of COMPARISON_ROWS) {
    if (!rows.some((r) => r.metric === metric)) continue;
    lines.push([label, ...engines.map((e) => cell(e, metric))]);
    if (metric === 'density') {
      lines.push([
        '  binding resource',
        ...engines.map(
          (e) =>
            rows
              .find((r) => r.engine === e.id && r.driver === e.driver && r.metric === 'density')
              ?.detail.replace('binding: ', '') ?? '—',
        ),
      ]);
    }
    if (metric === 'boot_storm') {
      lines.push([
        '  busiest resource',
        ...engines.map(
          (e) =>
            rows
              .find((r) => r.engine === e.id && r.driver === e.driver && r.metric === 'boot_storm')
              ?.detail.replace('busiest: ', '') ?? '—',
        ),
      ]);
    }
  }
  const widths = lines[0]!.map((_, col) => Math.max(...lines.map((line) => line[col]!.length)));
  return lines
    .map((line, i) => {
      const text = line
        .map((value, col) => (col === 0 ? value.padEnd(widths[col]!) : value.padStart(widths[col]!)))
        .join('  ');
      return i === 0 ? c.bold(text) : i === 1 ? c.dim(text) : text;
    })
    .join('\n');
}

/** One horizontal bar per engine; a log scale when values span two decades or more. */
export function barChart(
  result: RunResult,
  rows: readonly ResultRow[],
  metric: string,
  width: number,
  c: Colors,
): string | undefined {
  const data = result.engines
    .map((e) => ({
      id: engineLabel(e),
      row: rows.find((r) => r.engine === e.id && r.driver === e.driver && r.metric === metric),
    }))
    .filter((d): d is { id: string; row: ResultRow } => d.row !== undefined);
  if (data.length === 0) return undefined;
  // A figure inside its own confidence interval around zero draws no bar: its length would be noise.
  const values = data.map((d) => (isNoiseAroundZero(d.row) ? 0 : d.row.p50));
  const positive = values.filter((v) => v > 0);
  const max = Math.max(...values.map(Math.abs));
  const minPositive = positive.length > 0 ? Math.min(...positive) : 0;
  const logScale =
    positive.length > 1 &&
    positive.length === values.filter((v) => v !== 0).length &&
    minPositive > 0 &&
    max / minPositive >= 100;
  const scale = (v: number): number => {
    if (max <= 0) return 0;
    if (!logScale) return Math.abs(v) / max;
    // Map [min/2, max] logarithmically onto the bar so the smallest value still shows.
    const floor = Math.log10(minPositive / 2);
    return (Math.log10(v) - floor) / (Math.log10(max) - floor);
  };
  const info = metricInfo(metric);
  const label = Math.max(...data.map((d) => d.id.length));
  const lines = [c.bold(`${metric} (${info.unit}, p50${logScale ? ', log scale' : ''})`)];
  for (const [i, d] of data.entries()) {
    const length = values[i] === 0 ? 0 : Math.max(0, Math.round(scale(values[i]!) * width));
    lines.push(
      `${d.id.padEnd(label)} ${c.cyan('█'.repeat(length))}${length === 0 ? '▏' : ''} ${formatEstimate(d.row)}`,
    );
  }
  return lines.join('\n');
}

/**
 * A line chart per swept parameter and curve metric that varies along it: one series per engine,
 * with the other sweep parameters held at their first value (see curves.ts).
 */
export function sweepCharts(result: RunResult, c: Colors): string[] {
  return sweepCurves(result).map((curve) => renderCurve(curve, c));
}
