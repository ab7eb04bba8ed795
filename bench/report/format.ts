/** Human formatting of metric values, shared by the terminal, Markdown and HTML reports. */

import type { ResultRow } from './metrics.js';
import type { SkippedCell } from './results.js';

/**
 * Decimal places a figure can honestly carry: none finer than the leading digit of its uncertainty
 * (the half-width of its 95% confidence interval, or a chart's tick step). Unbounded without one.
 */
function supportedDecimals(uncertainty: number | undefined): number {
  if (uncertainty === undefined || !Number.isFinite(uncertainty) || uncertainty <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, -Math.floor(Math.log10(uncertainty)));
}

/**
 * A number at three significant digits at most, and no finer than `uncertainty` supports. A figure
 * that rounds to nothing prints as 0, never as -0.0 or 4.5e-13.
 */
export function formatNumber(value: number, uncertainty?: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  const significant = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 1 - Math.floor(Math.log10(abs));
  // toFixed takes at most 100 digits; a figure smaller than 1e-99 prints as 0.
  const text = value.toFixed(Math.min(significant, supportedDecimals(uncertainty), 100));
  return Number(text) === 0 ? '0' : text;
}

/** A value with its unit, scaled to a readable size (ms to s, MiB to GiB), rounded to its uncertainty. */
export function formatValue(value: number, unit: string, uncertainty?: number): string {
  switch (unit) {
    case 'ms':
      return value >= 1000
        ? `${(value / 1000).toFixed(Math.min(2, supportedDecimals(uncertainty && uncertainty / 1000)))} s`
        : `${formatNumber(value, uncertainty)} ms`;
    case 'µs':
      return value >= 1000
        ? `${formatNumber(value / 1000, uncertainty && uncertainty / 1000)} ms`
        : `${formatNumber(value, uncertainty)} µs`;
    case 'MiB':
      return value >= 1024
        ? `${(value / 1024).toFixed(Math.min(2, supportedDecimals(uncertainty && uncertainty / 1024)))} GiB`
        : `${formatNumber(value, uncertainty)} MiB`;
    case '%': {
      const text = formatNumber(value, uncertainty);
      return `${value >= 0 && text !== '0' ? '+' : ''}${text}%`;
    }
    case 'instances':
      return formatNumber(value, uncertainty);
    case 'flag':
      return value >= 0.5 ? 'yes' : 'no';
    default:
      return `${formatNumber(value, uncertainty)} ${unit}`;
  }
}

/** What formatEstimate reads from a result row. */
export type Estimate = Pick<ResultRow, 'p50' | 'unit' | 'ci95Low' | 'ci95High'>;

/**
 * Whether a figure is indistinguishable from zero: not zero itself, yet inside its own 95%
 * confidence interval around zero, so its sign and digits are noise.
 */
export function isNoiseAroundZero(row: Estimate): boolean {
  return row.unit !== 'flag' && row.p50 !== 0 && row.ci95Low <= 0 && row.ci95High >= 0;
}

/**
 * A row's median as reports print it: ≈0 when its confidence interval holds zero, otherwise
 * rounded to the digits its samples support.
 */
export function formatEstimate(row: Estimate): string {
  if (isNoiseAroundZero(row)) return row.unit === '%' ? '≈0%' : `≈0 ${row.unit}`;
  return formatValue(row.p50, row.unit, (row.ci95High - row.ci95Low) / 2);
}

/**
 * The rows of the comparison table, the classic VM-vs-container table with numbers; every report
 * that shows the table uses this one list, skipping rows a run has no data for.
 */
export const COMPARISON_ROWS: readonly { label: string; metric: string }[] = [
  { label: 'Boot time (p50)', metric: 'boot_time' },
  { label: 'Image size', metric: 'image_size' },
  { label: 'Image, registry (compressed)', metric: 'image_size.compressed' },
  { label: 'Density (instances/host)', metric: 'density' },
  { label: 'Memory per instance', metric: 'density.memory_per_instance' },
  { label: 'Memory reserved', metric: 'density.memory_reserved' },
  { label: 'Overhead: CPU', metric: 'overhead_cpu' },
  { label: 'Overhead: memory', metric: 'overhead_memory' },
  { label: 'Overhead: disk', metric: 'overhead_disk' },
  { label: 'Overhead: network', metric: 'overhead_network' },
  { label: 'Overhead: total', metric: 'overhead_total' },
  { label: 'Throughput', metric: 'throughput' },
  { label: 'Latency (p50)', metric: 'latency' },
  { label: 'Latency (p99)', metric: 'latency.p99' },
  { label: 'Shares host kernel', metric: 'isolation.shared_kernel' },
  { label: 'Kernel fault takes down', metric: 'isolation' },
  { label: 'Boot storm: all ready', metric: 'boot_storm' },
  { label: 'Boot storm: p50 latency', metric: 'boot_storm.p50' },
  { label: 'Boot storm: p99 latency', metric: 'boot_storm.p99' },
  { label: 'Boot storm: ready per second', metric: 'boot_storm.rate' },
  { label: 'Density to failure: instances', metric: 'density_curve' },
  { label: 'Neighbour: victim p99 alone', metric: 'neighbours.solo_p99' },
  { label: 'Neighbour: CPU hog slowdown', metric: 'neighbours.cpu' },
  { label: '  with limits', metric: 'neighbours.cpu_limited' },
  { label: 'Neighbour: memory hog slowdown', metric: 'neighbours.memory' },
  { label: '  with limits', metric: 'neighbours.memory_limited' },
  { label: 'Neighbour: disk writer slowdown', metric: 'neighbours.disk' },
  { label: '  with limits', metric: 'neighbours.disk_limited' },
  { label: 'Neighbour: fork flood slowdown', metric: 'neighbours.fork' },
  { label: '  with limits', metric: 'neighbours.fork_limited' },
  { label: 'Guest panic contained', metric: 'neighbours.panic_contained' },
];

/** Headline metrics that get a bar chart each. */
export const CHARTED_METRICS = ['boot_time', 'image_size', 'density', 'overhead_total', 'boot_storm'] as const;

/** A number standing alone in a sentence: not part of an id such as fc-m5d-metal or ubuntu-24.04. */
const NUMBER = /(?<![\w.-])-?\d[\d,]*(?:\.\d+)?(?![\w-])/g;

/**
 * Collapses runs of near-identical notes into one line with a count. Notes are `subject: text`
 * (the subject is an engine id); notes whose texts differ only in their numbers become one line
 * that lists the subjects and gives each varying number as its range. A storm grid's sixty "a
 * storm of N instances exceeds the M that fit" notes become one.
 */
export function collapseNotes(notes: readonly string[]): string[] {
  const groups = new Map<string, { subjects: string[]; numbers: string[][]; first: string }>();
  for (const note of notes) {
    const split = note.indexOf(': ');
    const subject = split > 0 && !note.slice(0, split).includes(' ') ? note.slice(0, split) : '';
    const text = subject ? note.slice(split + 2) : note;
    const template = text.replace(NUMBER, '\0');
    const group = groups.get(template) ?? { subjects: [], numbers: [], first: note };
    if (subject && !group.subjects.includes(subject)) group.subjects.push(subject);
    group.numbers.push(text.match(NUMBER) ?? []);
    groups.set(template, group);
  }
  return [...groups.entries()].map(([template, group]) => {
    if (group.numbers.length === 1) return group.first;
    let slot = 0;
    const text = template.replace(/\0/g, () => {
      const values = group.numbers.map((n) => n[slot]!);
      slot++;
      const sorted = [...new Set(values)].sort((a, b) => Number(a.replace(/,/g, '')) - Number(b.replace(/,/g, '')));
      return sorted.length === 1 ? sorted[0]! : `${sorted[0]}–${sorted[sorted.length - 1]}`;
    });
    const subjects = group.subjects.length > 0 ? `${group.subjects.join(', ')} ` : '';
    return `${subjects}(${group.numbers.length} notes): ${text}`;
  });
}

/** Words wrapped to `width`, each line starting with `indent`, continuation lines two further in. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = indent;
  let lineStart = true;
  for (const word of text.split(' ')) {
    if (!lineStart && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${indent}  ${word}`;
      continue;
    }
    line += lineStart ? word : ` ${word}`;
    lineStart = false;
  }
  lines.push(line);
  return lines;
}

/** The overhead rows of the reports, each a dimension of the workload. */
const OVERHEAD_METRICS = ['overhead_cpu', 'overhead_memory', 'overhead_disk', 'overhead_network', 'overhead_total'];

/**
 * Overhead dimensions in which the scenario's workload does no work: every sample of every engine
 * is exactly 0, at every point. Their 0% is the absence of a measurement, not a finding, so the
 * reports leave them out and say why (idleOverheadNote).
 */
export function idleOverheadMetrics(rows: readonly ResultRow[]): Set<string> {
  const idle = new Set<string>();
  for (const metric of OVERHEAD_METRICS) {
    const of = rows.filter((r) => r.metric === metric);
    if (of.length > 0 && of.every((r) => r.min === 0 && r.max === 0)) idle.add(metric);
  }
  return idle;
}

/** Why idle overhead dimensions are missing from a report; undefined when none are. */
export function idleOverheadNote(idle: ReadonlySet<string>): string | undefined {
  if (idle.size === 0) return undefined;
  const names = COMPARISON_ROWS.filter((r) => idle.has(r.metric)).map((r) => r.label.replace('Overhead: ', ''));
  return `Overhead (${names.join(', ')}) left out: the workload does no work of that kind, so every engine would show 0%. Give the scenario a workload that does (docs/scenarios.md, "workload").`;
}

/** The skipped cells of a run, one line each, runs of near-identical ones collapsed (collapseNotes). */
export function skippedLines(skipped: readonly SkippedCell[]): string[] {
  return collapseNotes(
    skipped.map((cell) => {
      const point = Object.entries(cell.params).map(([k, v]) => `${k}=${String(v)}`);
      return `${cell.engine}: ${point.length > 0 ? `[${point.join(' ')}] ` : ''}${cell.reasons.join('; ')}`;
    }),
  );
}
