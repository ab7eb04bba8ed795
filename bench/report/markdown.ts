import { metricInfo } from '../../engines/metrics.js';
import { formatChange, relativeChange } from '../gate/change.js';
import { formatDifferences } from '../gate/environment.js';
import { type GateReport, gatePassed } from '../gate/evaluate.js';
import { countLine, engineLabel, metricLabel, tableCells } from '../gate/table.js';
import {
  CHARTED_METRICS,
  COMPARISON_ROWS,
  formatEstimate,
  idleOverheadMetrics,
  idleOverheadNote,
  skippedLines,
} from './format.js';
import type { ResultRow } from './metrics.js';
import type { RunResult } from './results.js';

/**
 * The Markdown report CI shows people: a verdict, the gate (or comparison) table, the classic
 * comparison table with each figure's change, and Mermaid xychart blocks, which GitHub renders in
 * job summaries, pull requests and issues.
 */

export interface MarkdownInput {
  /** The run the report is about. */
  readonly result: RunResult;
  /** What it was compared with, for changes in the tables and baseline lines in the charts. */
  readonly baseline?: RunResult;
  readonly gate?: GateReport;
  /** gate: the verdict decides; compare: the same table, informational. */
  readonly mode: 'gate' | 'compare' | 'result';
}

/** Escapes what would break a table cell or start Markdown formatting. */
export function escapeCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ')
    .replace(/([*_`<>[\]])/g, '\\$1');
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ('l' | 'r')[],
): string {
  const rule = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : ':---'));
  return [header, rule, ...rows]
    .map((cells, i) => `| ${(i === 1 ? cells : cells.map(escapeCell)).join(' | ')} |`)
    .join('\n');
}

function firstPointRows(result: RunResult): ResultRow[] {
  const first = result.rows[0] ? JSON.stringify(result.rows[0].params) : '{}';
  return result.rows.filter((row) => JSON.stringify(row.params) === first);
}

function findRow(rows: readonly ResultRow[], engine: string, metric: string, params?: unknown): ResultRow | undefined {
  const key = params === undefined ? undefined : JSON.stringify(params);
  return rows.find(
    (r) => r.engine === engine && r.metric === metric && (key === undefined || JSON.stringify(r.params) === key),
  );
}

function comparisonTable(input: MarkdownInput): string {
  const rows = firstPointRows(input.result);
  const point = JSON.stringify(rows[0]?.params ?? {});
  const skipped = new Set(input.result.skipped.filter((s) => JSON.stringify(s.params) === point).map((s) => s.engine));
  const engines = input.result.engines.filter((e) => skipped.has(e.id) || rows.some((r) => r.engine === e.id));
  const idle = idleOverheadMetrics(input.result.rows);
  const body: string[][] = [];
  for (const { label, metric } of COMPARISON_ROWS) {
    if (idle.has(metric) || !rows.some((r) => r.metric === metric)) continue;
    body.push([
      label,
      ...engines.map((engine) => {
        if (skipped.has(engine.id)) return 'skipped';
        const row = findRow(rows, engine.id, metric);
        if (!row) return '—';
        const base = input.baseline && findRow(input.baseline.rows, engine.id, metric, row.params);
        const value = formatEstimate(row);
        if (!base) return value;
        const change = relativeChange(metric, base.p50, row.p50);
        return change === 0 ? value : `${value} (${formatChange(change)})`;
      }),
    ]);
  }
  return table(['', ...engines.map((e) => e.id)], body, ['l', ...engines.map(() => 'r' as const)]);
}

function mermaidNumber(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : '0';
}

/** A Mermaid xychart of one metric per engine: bars for the run, a line for the baseline. */
export function mermaidChart(result: RunResult, metric: string, baseline?: RunResult): string | undefined {
  const rows = firstPointRows(result);
  const data = result.engines
    .map((engine) => ({ engine: engine.id, row: findRow(rows, engine.id, metric) }))
    .filter((d): d is { engine: string; row: ResultRow } => d.row !== undefined);
  if (data.length === 0) return undefined;
  const info = metricInfo(metric);
  const baseValues = baseline ? data.map((d) => findRow(baseline.rows, d.engine, metric, d.row.params)?.p50) : [];
  const hasBaseline = baseline !== undefined && baseValues.every((v) => v !== undefined);
  const all = [...data.map((d) => d.row.p50), ...(hasBaseline ? (baseValues as number[]) : [])];
  const top = Math.max(...all, 0);
  const bottom = Math.min(...all, 0);
  const title = `${metric} p50 (${info.unit})${hasBaseline ? ': bars current, line baseline' : ''}`;
  const lines = [
    '```mermaid',
    'xychart-beta',
    `    title "${title.replace(/"/g, "'")}"`,
    `    x-axis [${data.map((d) => `"${d.engine}"`).join(', ')}]`,
    `    y-axis "${info.unit}" ${mermaidNumber(bottom)} --> ${mermaidNumber(top === bottom ? bottom + 1 : top * 1.05)}`,
    `    bar [${data.map((d) => mermaidNumber(d.row.p50)).join(', ')}]`,
  ];
  if (hasBaseline) lines.push(`    line [${(baseValues as number[]).map(mermaidNumber).join(', ')}]`);
  lines.push('```');
  return lines.join('\n');
}

function gateSection(input: MarkdownInput, gate: GateReport): string[] {
  const out: string[] = [];
  const passed = gatePassed(gate);
  const failures = gate.checks.filter((c) => !c.passed);
  if (input.mode === 'gate') {
    out.push(passed ? `**Gate passed.** ${countLine(gate)}` : `**Gate FAILED.** ${countLine(gate)}`);
  } else {
    out.push(`What a gate would decide: ${countLine(gate)}`);
  }
  out.push(
    '',
    `Checks: ${escapeCell(gate.source)}. ${escapeCell(gate.baselineLabel)} → ${escapeCell(gate.currentLabel)}.`,
  );
  if (gate.environment.blocking.length > 0) {
    out.push('', '> [!WARNING]', '> Compared despite differences that can move the figures:');
    for (const line of formatDifferences(gate.environment.blocking)) out.push(`> - ${escapeCell(line)}`);
  }
  if (gate.environment.informational.length > 0) {
    out.push(
      '',
      `Differences that cannot move these figures: ${formatDifferences(gate.environment.informational).map(escapeCell).join('; ')}.`,
    );
  }
  for (const warning of gate.warnings) out.push('', `> [!NOTE]\n> ${escapeCell(warning)}`);
  if (failures.length > 0) {
    out.push('', input.mode === 'gate' ? '### Failing checks' : '### Checks a gate would fail', '');
    for (const check of failures)
      out.push(
        `- **${escapeCell(engineLabel(check))}** ${escapeCell(metricLabel(check))}: ${escapeCell(check.verdict)}`,
      );
  }
  const { header, rows } = tableCells(gate, { interval: input.mode === 'compare' });
  const align = header.map((h, i) => (i >= 3 && h !== 'threshold' ? ('r' as const) : ('l' as const)));
  out.push(
    '',
    input.mode === 'gate' ? '### Gate' : '### Comparison',
    '',
    table(
      header,
      rows.map((r) => [r[0] === 'P' ? '✅ P' : '❌ F', ...r.slice(1)]),
      align,
    ),
  );
  return out;
}

export function renderMarkdown(input: MarkdownInput): string {
  const { result } = input;
  const out: string[] = [];
  const verdict = input.gate && input.mode === 'gate' ? (gatePassed(input.gate) ? ' ✅ passed' : ' ❌ failed') : '';
  const heading =
    input.mode === 'gate' ? 'virtbench gate' : input.mode === 'compare' ? 'virtbench compare' : 'virtbench';
  out.push(`## ${heading} · ${escapeCell(result.scenario.name)}${verdict}`, '');
  const hw = result.hardware;
  out.push(
    `Modeled hardware ${escapeCell(hw.id)} · seed ${result.seed} · ${result.repetitions} repetitions · virtbench ${escapeCell(result.environment.virtbench)}`,
  );
  if (input.gate) out.push('', ...gateSection(input, input.gate));

  out.push('', '### Results', '');
  if (result.sweepParameters.length > 0)
    out.push(`At the first sweep point ${escapeCell(JSON.stringify(result.rows[0]?.params ?? {}))}.`, '');
  if (input.baseline) out.push('p50 per engine, with the change against the baseline where there is one.', '');
  out.push(comparisonTable(input));
  const idleNote = idleOverheadNote(idleOverheadMetrics(result.rows));
  if (idleNote) out.push('', `> [!NOTE]\n> ${escapeCell(idleNote)}`);

  const idle = idleOverheadMetrics(result.rows);
  const charts = CHARTED_METRICS.filter((metric) => !idle.has(metric))
    .map((metric) => mermaidChart(result, metric, input.baseline))
    .filter((c): c is string => c !== undefined);
  if (charts.length > 0) out.push('', '### Charts', '', charts.join('\n\n'));

  if (result.claims.length > 0) {
    out.push('', '### Claims', '');
    for (const claim of result.claims) {
      const mark = claim.holds === null ? '➖' : claim.holds ? '✅' : '❌';
      out.push(`- ${mark} ${escapeCell(claim.text)}${claim.holds === null ? ' (not applicable)' : ''}`);
    }
  }
  if (result.skipped.length > 0) {
    out.push('', '### Skipped', '');
    for (const line of skippedLines(result.skipped)) out.push(`- ${escapeCell(line)}`);
  }
  return `${out.join('\n')}\n`;
}
