import { createColors } from 'picocolors';
import { metricInfo } from '../../engines/metrics.js';
import {
  densityCurves,
  renderCurve,
  renderSurface,
  renderTimeline,
  stormTimeline,
  sweepCurves,
  sweepSurfaces,
} from './curves.js';
import {
  CHARTED_METRICS,
  COMPARISON_ROWS,
  collapseNotes,
  formatEstimate,
  idleOverheadMetrics,
  idleOverheadNote,
  isNoiseAroundZero,
  skippedLines,
  wrapText,
} from './format.js';
import type { ResultRow } from './metrics.js';
import { hasRealRows, renderModelVsReal } from './model-vs-real.js';
import { type EngineSummary, engineDisplayName, type RunResult, type SkippedCell } from './results.js';

export interface TerminalOptions {
  readonly color: boolean;
  /** Width of bar charts, in characters. */
  readonly barWidth?: number;
  /** Columns to fit: the output stream's width (see terminalWidth); 100 by default. */
  readonly width?: number;
}

/** The width reports are fitted to when the output stream does not say: a pipe, a file, CI. */
export const DEFAULT_WIDTH = 100;
/** Narrower than this, the table still splits one engine per block rather than fold every cell. */
const NARROWEST = 40;

/** The columns to fit: the output stream's own width, else $COLUMNS, else DEFAULT_WIDTH. */
export function terminalWidth(stream: object, env: Readonly<Record<string, string | undefined>>): number {
  // A TTY stream has `columns`; a pipe or a file has none.
  const columns = 'columns' in stream ? stream.columns : undefined;
  if (typeof columns === 'number' && columns > 0) return columns;
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_WIDTH;
}

type Colors = ReturnType<typeof createColors>;

function sameParams(a: SkippedCell['params'], b: ResultRow['params']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function renderTerminal(result: RunResult, options: TerminalOptions): string {
  const c = createColors(options.color);
  const width = Math.max(NARROWEST, options.width ?? DEFAULT_WIDTH);
  const out: string[] = [];
  const hw = result.hardware;
  const heading = [
    `virtbench · ${result.scenario.name}`,
    `${hw.id} (${hw.cpu.sockets}x${hw.cpu.coresPerSocket}x${hw.cpu.threadsPerCore} @ ${hw.cpu.ghz} GHz, ${hw.memory.gib} GiB)`,
    `seed ${result.seed}`,
    `${result.repetitions} repetitions`,
  ];
  const oneLine = heading.join(' · ');
  if (oneLine.length <= width) out.push(c.bold(heading[0]!) + c.dim(oneLine.slice(heading[0]!.length)));
  else out.push(c.bold(heading[0]!), c.dim(heading.slice(1).join(' · ')));
  if (result.scenario.description) {
    for (const line of wrapText(result.scenario.description.trim().replace(/\s+/g, ' '), width)) out.push(c.dim(line));
  }
  out.push('');

  const point = result.rows[0]?.params ?? result.skipped[0]?.params ?? {};
  const pointRows = result.rows.filter((r) => sameParams(point, r.params));
  const skippedHere = result.skipped.filter((s) => sameParams(s.params, point));
  if (result.sweepParameters.length > 0)
    out.push(c.dim(`Table at the first sweep point ${JSON.stringify(point)}; curves below.`));
  const idle = idleOverheadMetrics(result.rows);
  out.push(comparisonTable(result, pointRows, skippedHere, idle, c, width));
  const idleNote = idleOverheadNote(idle);
  if (idleNote) out.push(...wrapText(idleNote, width).map((line) => c.yellow(line)));
  for (const s of skippedHere) {
    for (const line of wrapText(
      `${s.engine} is skipped at this point: ${s.reasons.join('; ')}. Its other points are in the curves and the CSV.`,
      width,
    ))
      out.push(c.yellow(line));
  }

  if (result.claims.length > 0) {
    out.push('', c.bold('Claims'));
    for (const claim of result.claims) {
      const mark = claim.holds === null ? c.yellow('–') : claim.holds ? c.green('✓') : c.red('✗');
      const [first, ...rest] = wrapText(`${claim.text}${claim.holds === null ? ' (not applicable)' : ''}`, width - 2);
      out.push(`${mark} ${first}`, ...rest.map((line) => `  ${line}`));
      for (const line of claim.evidence) out.push(...wrapText(line, width, '    ').map((l) => c.dim(l)));
    }
  }

  for (const metric of CHARTED_METRICS.filter((m) => !idle.has(m))) {
    const chart = barChart(result, pointRows, skippedHere, metric, options.barWidth ?? 40, c, width);
    if (chart) out.push('', chart);
  }

  for (const chart of sweepCharts(result, c, width)) out.push('', chart);
  const timeline = stormTimeline(result);
  if (timeline) out.push('', renderTimeline(timeline, c, width));
  for (const surface of sweepSurfaces(result)) out.push('', renderSurface(surface, c));
  for (const curve of densityCurves(result)) out.push('', renderCurve(curve, c, width));

  if (hasRealRows(result)) {
    const modelVsReal = renderModelVsReal(result, { color: options.color });
    if (modelVsReal) out.push('', modelVsReal);
  }

  if (result.skipped.length > 0) {
    out.push('', c.bold('Skipped'));
    for (const note of skippedLines(result.skipped)) out.push(...wrapText(note, width, '  ').map((l) => c.yellow(l)));
  }
  if (result.notes.length > 0) {
    out.push('', c.bold('Notes'));
    for (const note of collapseNotes(result.notes)) out.push(...wrapText(note, width, '  ').map((l) => c.dim(l)));
  }
  return `${out.join('\n')}\n`;
}

const engineLabel = engineDisplayName;

/**
 * A column heading broken after hyphens and before parentheses so that it is no wider than its
 * widest value (or its longest piece): vmware-workstation heads its column as vmware- / workstation.
 */
function wrapHeading(heading: string, valueWidth: number): string[] {
  const pieces = heading.split(/(?<=-)|(?= \()/).map((p) => p.trim());
  const limit = Math.max(valueWidth, ...pieces.map((p) => p.length));
  const lines: string[] = [];
  for (const piece of pieces) {
    const last = lines[lines.length - 1];
    const joined = last === undefined ? piece : last.endsWith('-') ? last + piece : `${last} ${piece}`;
    if (last !== undefined && joined.length <= limit) lines[lines.length - 1] = joined;
    else lines.push(piece);
  }
  return lines;
}

/** Splits columns into blocks that each fit `available` columns, as evenly as the widths allow. */
function columnBlocks(widths: readonly number[], available: number): number[][] {
  const greedy: number[][] = [];
  let used = Number.POSITIVE_INFINITY;
  widths.forEach((w, i) => {
    if (used + 2 + w > available) {
      greedy.push([]);
      used = 0;
    }
    greedy[greedy.length - 1]!.push(i);
    used += 2 + w;
  });
  // The same number of blocks with the engines shared out evenly, when that still fits.
  const count = greedy.length;
  const sizes = Array.from(
    { length: count },
    (_, b) => Math.floor(widths.length / count) + (b < widths.length % count ? 1 : 0),
  );
  const even = sizes.map((size, b) => {
    const start = sizes.slice(0, b).reduce((sum, n) => sum + n, 0);
    return widths.map((_, i) => i).slice(start, start + size);
  });
  const fits = even.every((block) => block.reduce((sum, i) => sum + 2 + widths[i]!, 0) <= available);
  return fits && even.length === greedy.length ? even : greedy;
}

function comparisonTable(
  result: RunResult,
  rows: readonly ResultRow[],
  skipped: readonly SkippedCell[],
  idle: ReadonlySet<string>,
  c: Colors,
  width: number,
): string {
  const isSkipped = (e: EngineSummary): boolean => skipped.some((s) => s.engine === e.id);
  const engines = result.engines.filter(
    (e) => isSkipped(e) || rows.some((r) => r.engine === e.id && r.driver === e.driver),
  );
  const rowOf = (engine: EngineSummary, metric: string): ResultRow | undefined =>
    rows.find((r) => r.engine === engine.id && r.driver === engine.driver && r.metric === metric);
  const cell = (engine: EngineSummary, value: (row: ResultRow) => string, metric: string): string => {
    if (isSkipped(engine)) return 'skipped';
    const row = rowOf(engine, metric);
    return row ? value(row) : '—';
  };
  const body: string[][] = [];
  body.push(['kind', ...engines.map((e) => e.kind)]);
  body.push([
    'Boots a guest kernel',
    ...engines.map((e) =>
      isSkipped(e)
        ? 'skipped'
        : rowOf(e, 'boot_time.kernel_init') || rowOf(e, 'boot_time.kernel_entry') || rowOf(e, 'boot_time.kernel')
          ? 'yes'
          : 'no',
    ),
  ]);
  for (const { label, metric } of COMPARISON_ROWS) {
    if (idle.has(metric) || !rows.some((r) => r.metric === metric)) continue;
    body.push([labelWithOperation(label, metric, rows), ...engines.map((e) => cell(e, formatEstimate, metric))]);
    if (metric === 'density') {
      body.push([
        '  binding resource',
        ...engines.map((e) => cell(e, (r) => r.detail.replace('binding: ', '') || '—', metric)),
      ]);
    }
    if (metric === 'latency' && rows.some((r) => r.metric === metric && r.detail)) {
      body.push(['  bound', ...engines.map((e) => cell(e, (r) => r.detail.replace(' binds', '') || '—', metric))]);
    }
    if (metric === 'boot_storm') {
      body.push([
        '  busiest resource',
        ...engines.map((e) => cell(e, (r) => r.detail.replace('busiest: ', '') || '—', metric)),
      ]);
    }
  }
  const labelWidth = Math.max(...body.map((line) => line[0]!.length));
  const headings = engines.map((e, i) =>
    wrapHeading(engineLabel(e), Math.max(...body.map((line) => line[i + 1]!.length))),
  );
  const widths = engines.map((_, i) =>
    Math.max(...body.map((line) => line[i + 1]!.length), ...headings[i]!.map((h) => h.length)),
  );
  const blocks = columnBlocks(widths, width - labelWidth);
  return blocks
    .map((block) => {
      const headingLines = Math.max(...block.map((i) => headings[i]!.length));
      const lines: string[] = [];
      for (let h = 0; h < headingLines; h++) {
        // Headings sit at the bottom of their column, right-aligned like its values.
        const text = block
          .map((i) => (headings[i]![h - (headingLines - headings[i]!.length)] ?? '').padStart(widths[i]!))
          .join('  ');
        lines.push(c.bold(`${''.padEnd(labelWidth)}  ${text}`.trimEnd()));
      }
      body.forEach((line, r) => {
        const text = `${line[0]!.padEnd(labelWidth)}  ${block.map((i) => line[i + 1]!.padStart(widths[i]!)).join('  ')}`;
        lines.push(r === 0 ? c.dim(text) : text);
      });
      return lines.join('\n');
    })
    .join('\n\n');
}

/** One horizontal bar per engine; a log scale when values span two decades or more. */
export function barChart(
  result: RunResult,
  rows: readonly ResultRow[],
  skipped: readonly SkippedCell[],
  metric: string,
  barWidth: number,
  c: Colors,
  width = DEFAULT_WIDTH,
): string | undefined {
  const data = result.engines
    .map((e) => ({
      id: engineLabel(e),
      row: rows.find((r) => r.engine === e.id && r.driver === e.driver && r.metric === metric),
    }))
    .filter((d): d is { id: string; row: ResultRow } => d.row !== undefined);
  if (data.length === 0) return undefined;
  const skippedIds = result.engines.filter((e) => skipped.some((s) => s.engine === e.id)).map(engineLabel);
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
  const label = Math.max(...data.map((d) => d.id.length), ...skippedIds.map((id) => id.length));
  // The bar shrinks on a narrow terminal, leaving room for the label and the value.
  const valueWidth = Math.max(...data.map((d) => formatEstimate(d.row).length));
  const bar = Math.max(10, Math.min(barWidth, width - label - valueWidth - 3));
  const lines = [c.bold(`${metric} (${info.unit}, p50${logScale ? ', log scale' : ''})`)];
  for (const [i, d] of data.entries()) {
    const length = values[i] === 0 ? 0 : Math.max(0, Math.round(scale(values[i]!) * bar));
    lines.push(
      `${d.id.padEnd(label)} ${c.cyan('█'.repeat(length))}${length === 0 ? '▏' : ''} ${formatEstimate(d.row)}`,
    );
  }
  for (const id of skippedIds) lines.push(c.yellow(`${id.padEnd(label)} skipped at this point`));
  return lines.join('\n');
}

/**
 * A line chart per swept parameter and curve metric that varies along it: one series per engine,
 * with the other sweep parameters held at their first value (see curves.ts).
 */
export function sweepCharts(result: RunResult, c: Colors, width = DEFAULT_WIDTH): string[] {
  return sweepCurves(result).map((curve) => renderCurve(curve, c, width));
}

/** The throughput row names its operation ("Throughput (GET requests)") when every engine counts the same one. */
function labelWithOperation(label: string, metric: string, rows: readonly ResultRow[]): string {
  if (metric !== 'throughput') return label;
  const operations = new Set(rows.filter((r) => r.metric === metric).map((r) => r.detail));
  const [operation] = operations;
  return operations.size === 1 && operation ? `${label} (${operation})` : label;
}
