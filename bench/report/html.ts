import { metricInfo } from '../../engines/metrics.js';
import { formatChange, relativeChange } from '../gate/change.js';
import { formatDifferences } from '../gate/environment.js';
import { type GateReport, gatePassed } from '../gate/evaluate.js';
import { countLine, engineLabel, metricLabel, tableCells } from '../gate/table.js';
import { formatEstimate, formatNumber, formatValue, isNoiseAroundZero } from './format.js';
import type { ResultRow } from './metrics.js';
import type { RunResult } from './results.js';

/**
 * A self-contained HTML report: inline CSS and inline SVG, no scripts, fonts or images to fetch.
 * A Content-Security-Policy forbids every network request, so the file shows the same thing
 * offline, from a CI artifact or an email attachment, as it did when it was written.
 */

export interface HtmlInput {
  readonly result: RunResult;
  readonly baseline?: RunResult;
  readonly gate?: GateReport;
  readonly mode: 'gate' | 'compare' | 'result';
}

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#17becf',
];

const WIDTH = 760;
const LABEL_WIDTH = 150;
const VALUE_WIDTH = 90;
const ROW_HEIGHT = 22;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function num(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '0';
}

function firstPointRows(result: RunResult): ResultRow[] {
  const first = result.rows[0] ? JSON.stringify(result.rows[0].params) : '{}';
  return result.rows.filter((row) => JSON.stringify(row.params) === first);
}

/**
 * Maps values onto [0, 1]: linearly, or when asked and the largest value is 20 times the median, on
 * a symmetric-log scale over the top three decades, so that one outlier (gVisor's system-call
 * cost) does not flatten every other bar while tiny values still draw tiny bars.
 */
function scaleFor(values: readonly number[], allowLog: boolean): { scale: (v: number) => number; log: boolean } {
  const max = Math.max(0, ...values);
  if (max <= 0) return { scale: () => 0, log: false };
  // Log only when one value dwarfs the typical one, not when noise puts a value near zero.
  const positive = values.filter((v) => v > 0).sort((a, b) => a - b);
  const typical = positive[Math.floor(positive.length / 2)] ?? 0;
  const log = allowLog && typical > 0 && max / typical >= 20;
  if (!log) return { scale: (v) => Math.max(0, v) / max, log };
  const unit = max / 1000;
  return { scale: (v) => Math.log10(1 + Math.max(0, v) / unit) / Math.log10(1 + max / unit), log };
}

/** Whether a bar chart of these values is drawn on a log scale, for its visible heading. */
export function usesLogScale(values: readonly number[]): boolean {
  return scaleFor(values, true).log;
}

interface BarItem {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  readonly segments?: readonly { readonly name: string; readonly value: number; readonly color: string }[];
  readonly note?: string;
}

function svgOpen(id: string, height: number, title: string): string {
  return `<svg class="chart" id="${escapeHtml(id)}" role="img" aria-labelledby="${escapeHtml(id)}-title" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title id="${escapeHtml(id)}-title">${escapeHtml(title)}</title>`;
}

/** Horizontal bars, one per engine, optionally stacked from named segments (boot phases). */
function barChart(
  id: string,
  title: string,
  items: readonly BarItem[],
  legend: readonly { name: string; color: string }[] = [],
  allowLog = false,
): string {
  const { scale, log } = scaleFor(
    items.map((i) => i.value),
    allowLog,
  );
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const legendRows = Math.ceil(legend.length / 5);
  const height = items.length * ROW_HEIGHT + 8 + legendRows * 18;
  const out = [svgOpen(id, height, title + (log ? ' (log scale)' : ''))];
  items.forEach((item, i) => {
    const y = i * ROW_HEIGHT + 4;
    const length = Math.max(item.value > 0 ? 1 : 0, scale(item.value) * plotWidth);
    out.push(
      `<text class="label" x="${LABEL_WIDTH - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(item.label)}</text>`,
    );
    if (item.segments && item.value > 0) {
      // Segments share the bar in proportion to their values, so a log-scaled bar keeps its parts.
      const total = item.segments.reduce((sum, s) => sum + s.value, 0);
      let x = LABEL_WIDTH;
      for (const segment of item.segments) {
        const w = total > 0 ? (segment.value / total) * length : 0;
        out.push(
          `<rect class="segment" x="${num(x)}" y="${y}" width="${num(w)}" height="${ROW_HEIGHT - 6}" fill="${segment.color}"><title>${escapeHtml(`${item.label} ${segment.name}: ${formatValue(segment.value, 'ms')}`)}</title></rect>`,
        );
        x += w;
      }
      out.push(
        `<rect class="bar" x="${LABEL_WIDTH}" y="${y}" width="${num(length)}" height="${ROW_HEIGHT - 6}" fill="none" stroke="#333" stroke-width="0.5"><title>${escapeHtml(`${item.label}: ${item.text}`)}</title></rect>`,
      );
    } else {
      out.push(
        `<rect class="bar" x="${LABEL_WIDTH}" y="${y}" width="${num(length)}" height="${ROW_HEIGHT - 6}" fill="${PALETTE[0]}"><title>${escapeHtml(`${item.label}: ${item.text}`)}</title></rect>`,
      );
    }
    out.push(
      `<text class="value" x="${num(LABEL_WIDTH + length + 6)}" y="${y + 14}">${escapeHtml(item.text)}${item.note ? ` <tspan class="note">${escapeHtml(item.note)}</tspan>` : ''}</text>`,
    );
  });
  legend.forEach((entry, i) => {
    const x = LABEL_WIDTH + (i % 5) * 120;
    const y = items.length * ROW_HEIGHT + 10 + Math.floor(i / 5) * 18;
    out.push(
      `<rect class="legend" x="${x}" y="${y}" width="10" height="10" fill="${entry.color}"/><text class="legend-label" x="${x + 14}" y="${y + 9}">${escapeHtml(entry.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

function engineRows(
  result: RunResult,
  rows: readonly ResultRow[],
  metric: string,
): { engine: string; row: ResultRow }[] {
  return result.engines
    .map((engine) => ({ engine: engine.id, row: rows.find((r) => r.engine === engine.id && r.metric === metric) }))
    .filter((d): d is { engine: string; row: ResultRow } => d.row !== undefined);
}

function bootChart(result: RunResult, rows: readonly ResultRow[]): string | undefined {
  const totals = engineRows(result, rows, 'boot_time');
  if (totals.length === 0) return undefined;
  const phases: string[] = [];
  for (const row of rows)
    if (row.metric.startsWith('boot_time.') && !phases.includes(row.metric)) phases.push(row.metric);
  const color = (phase: string): string => PALETTE[phases.indexOf(phase) % PALETTE.length]!;
  const items = totals.map(({ engine, row }) => ({
    label: engine,
    value: row.p50,
    text: formatEstimate(row),
    segments: rows
      .filter((r) => r.engine === engine && r.metric.startsWith('boot_time.'))
      .map((r) => ({ name: r.metric.slice('boot_time.'.length), value: r.p50, color: color(r.metric) })),
  }));
  const legend = phases.map((phase) => ({ name: phase.slice('boot_time.'.length), color: color(phase) }));
  return barChart('chart-boot', 'Boot time per engine (p50), by phase', items, legend);
}

function simpleChart(
  id: string,
  title: string,
  result: RunResult,
  rows: readonly ResultRow[],
  metric: string,
  options: { note?: (row: ResultRow) => string; allowLog?: boolean } = {},
): string | undefined {
  const data = engineRows(result, rows, metric);
  if (data.length === 0) return undefined;
  return barChart(
    id,
    title,
    data.map(({ engine, row }) => ({
      label: engine,
      value: row.p50,
      text: formatEstimate(row),
      note: options.note?.(row),
    })),
    [],
    options.allowLog,
  );
}

const OVERHEAD_DIMENSIONS = [
  'overhead_cpu',
  'overhead_memory',
  'overhead_disk',
  'overhead_network',
  'overhead_total',
] as const;

function overheadCharts(result: RunResult, rows: readonly ResultRow[]): string[] {
  return OVERHEAD_DIMENSIONS.flatMap((metric) => {
    const chart = simpleChart(
      `chart-${metric.replace('_', '-')}`,
      `${metricInfo(metric).description} (p50)`,
      result,
      rows,
      metric,
      { allowLog: true },
    );
    const log = usesLogScale(engineRows(result, rows, metric).map((d) => d.row.p50));
    return chart
      ? [
          `<h3>${escapeHtml(metricInfo(metric).description)}${log ? ' <span class="scale">(log scale)</span>' : ''}</h3>${chart}`,
        ]
      : [];
  });
}

const SWEPT_METRICS = ['boot_time', 'image_size', 'density', 'overhead_total'] as const;

/** One line chart per numeric sweep parameter and headline metric, one line per engine. */
function sweepCharts(result: RunResult): string[] {
  const charts: string[] = [];
  for (const parameter of result.sweepParameters) {
    const xs = [...new Set(result.rows.map((r) => r.params[parameter]))]
      .filter((x): x is number => typeof x === 'number')
      .sort((a, b) => a - b);
    if (xs.length < 2) continue;
    const others = result.sweepParameters.filter((p) => p !== parameter);
    const firstOf = Object.fromEntries(
      others.map((p) => [p, result.rows.find((r) => r.params[p] !== undefined)?.params[p]]),
    );
    const onLine = (r: ResultRow): boolean => others.every((p) => r.params[p] === firstOf[p]);
    for (const metric of SWEPT_METRICS) {
      const series = result.engines
        .map((engine, i) => ({
          id: engine.id,
          color: PALETTE[i % PALETTE.length]!,
          ys: xs.map(
            (x) =>
              result.rows.find(
                (r) => r.engine === engine.id && r.metric === metric && r.params[parameter] === x && onLine(r),
              )?.p50,
          ),
        }))
        .filter((s): s is { id: string; color: string; ys: number[] } => s.ys.every((y) => y !== undefined));
      if (series.length === 0) continue;
      const title = `${metric} (${metricInfo(metric).unit}, p50) vs ${parameter}`;
      const held =
        others.length > 0
          ? ` <span class="scale">(${others.map((p) => `${p}=${String(firstOf[p])}`).join(', ')})</span>`
          : '';
      charts.push(
        `<h3>${escapeHtml(title)}${held}</h3>` +
          lineChart(
            `chart-sweep-${parameter}-${metric}`.replace(/[^a-z0-9-]/gi, '-'),
            title,
            parameter,
            xs,
            series,
            metricInfo(metric).unit,
          ),
      );
    }
  }
  return charts;
}

function ticks(min: number, max: number, count: number): number[] {
  if (max === min) return [min];
  const step = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= step) ?? step;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + nice * 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

function lineChart(
  id: string,
  title: string,
  parameter: string,
  xs: readonly number[],
  series: readonly { id: string; color: string; ys: readonly number[] }[],
  unit: string,
): string {
  const height = 300;
  const left = 70;
  const right = WIDTH - 150;
  const top = 12;
  const bottom = height - 40;
  const all = series.flatMap((s) => s.ys);
  const yMin = Math.min(0, ...all);
  const yMax = Math.max(...all) * 1.05 || 1;
  const xMin = xs[0]!;
  const xMax = xs[xs.length - 1]!;
  const px = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const py = (y: number): number => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);
  const out = [svgOpen(id, height, title)];
  out.push(
    `<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#666"/><line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#666"/>`,
  );
  for (const y of ticks(yMin, yMax, 5)) {
    out.push(
      `<line x1="${left}" y1="${num(py(y))}" x2="${right}" y2="${num(py(y))}" stroke="#eee"/><text class="tick" x="${left - 6}" y="${num(py(y) + 4)}" text-anchor="end">${escapeHtml(formatNumber(y))}</text>`,
    );
  }
  for (const x of xs) {
    out.push(
      `<text class="tick" x="${num(px(x))}" y="${bottom + 16}" text-anchor="middle">${escapeHtml(formatNumber(x))}</text>`,
    );
  }
  out.push(
    `<text class="axis-title" x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(parameter)}</text>`,
  );
  out.push(
    `<text class="axis-title" x="14" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + bottom) / 2})">${escapeHtml(unit)}</text>`,
  );
  series.forEach((s, i) => {
    const points = s.ys.map((y, k) => `${num(px(xs[k]!))},${num(py(y))}`).join(' ');
    out.push(
      `<polyline class="series" points="${points}" fill="none" stroke="${s.color}" stroke-width="2"><title>${escapeHtml(s.id)}</title></polyline>`,
    );
    s.ys.forEach((y, k) => {
      out.push(
        `<circle cx="${num(px(xs[k]!))}" cy="${num(py(y))}" r="3" fill="${s.color}"><title>${escapeHtml(`${s.id} at ${parameter}=${xs[k]}: ${formatValue(y, unit)}`)}</title></circle>`,
      );
    });
    out.push(
      `<rect x="${right + 14}" y="${top + i * 18}" width="10" height="10" fill="${s.color}"/><text class="legend-label" x="${right + 28}" y="${top + i * 18 + 9}">${escapeHtml(s.id)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

function comparisonTable(input: HtmlInput, rows: readonly ResultRow[]): string {
  const metrics = [
    'boot_time',
    'image_size',
    'image_size.compressed',
    'density',
    'density.memory_per_instance',
    ...OVERHEAD_DIMENSIONS,
    'isolation',
  ];
  const engines = input.result.engines.filter((e) => rows.some((r) => r.engine === e.id));
  const head = `<tr><th></th>${engines.map((e) => `<th>${escapeHtml(e.id)}<br><span class="kind">${escapeHtml(e.kind)}</span></th>`).join('')}</tr>`;
  const body = metrics
    .filter((metric) => rows.some((r) => r.metric === metric))
    .map((metric) => {
      const cells = engines.map((engine) => {
        const row = rows.find((r) => r.engine === engine.id && r.metric === metric);
        if (!row) return '<td>—</td>';
        const base = input.baseline?.rows.find(
          (r) =>
            r.engine === engine.id && r.metric === metric && JSON.stringify(r.params) === JSON.stringify(row.params),
        );
        const change = base ? formatChange(relativeChange(metric, base.p50, row.p50)) : '';
        return `<td>${escapeHtml(formatEstimate(row))}${base && base.p50 !== row.p50 ? `<br><span class="change">${escapeHtml(change)}</span>` : ''}</td>`;
      });
      return `<tr><th>${escapeHtml(metric)}</th>${cells.join('')}</tr>`;
    });
  return `<table class="comparison">${head}${body.join('')}</table>`;
}

function gateSection(input: HtmlInput, gate: GateReport): string {
  const passed = gatePassed(gate);
  const verdict =
    input.mode === 'gate'
      ? `<p class="verdict ${passed ? 'pass' : 'fail'}">${passed ? 'Gate passed' : 'Gate FAILED'}: ${escapeHtml(countLine(gate))}</p>`
      : `<p class="verdict">What a gate would decide: ${escapeHtml(countLine(gate))}</p>`;
  const env = [
    ...gate.environment.blocking.map((d) => `<li class="blocking">${escapeHtml(formatDifferences([d])[0]!)}</li>`),
    ...gate.environment.informational.map(
      (d) => `<li>${escapeHtml(formatDifferences([d])[0]!)} (cannot move these figures)</li>`,
    ),
  ];
  const { header, rows } = tableCells(gate, { interval: input.mode === 'compare' });
  const table =
    `<table class="gate"><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>` +
    rows
      .map(
        (cells, i) =>
          `<tr class="${gate.checks[i]!.passed ? 'pass' : 'fail'}" title="${escapeHtml(gate.checks[i]!.verdict)}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
      )
      .join('') +
    '</table>';
  const failures = gate.checks.filter((c) => !c.passed);
  return [
    `<section id="gate"><h2>${input.mode === 'gate' ? 'Gate' : 'Comparison'}</h2>`,
    verdict,
    `<p class="meta">${escapeHtml(gate.baselineLabel)} → ${escapeHtml(gate.currentLabel)} · checks: ${escapeHtml(gate.source)}</p>`,
    env.length > 0 ? `<ul class="environment">${env.join('')}</ul>` : '',
    gate.warnings.map((w) => `<p class="warning">${escapeHtml(w)}</p>`).join(''),
    failures.length > 0
      ? `<ul class="failures">${failures.map((c) => `<li><b>${escapeHtml(engineLabel(c))}</b> ${escapeHtml(metricLabel(c))}: ${escapeHtml(c.verdict)}</li>`).join('')}</ul>`
      : '',
    table,
    '</section>',
  ].join('');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:14px 0 2px}
.meta{color:#666}.scale{color:#888;font-weight:normal}.kind{color:#888;font-weight:normal;font-size:12px}.change{color:#a05a00;font-size:12px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child{text-align:left}table.gate th:nth-child(2),table.gate th:nth-child(3){text-align:left}
table.gate td:nth-child(2),table.gate td:nth-child(3),table.gate td:last-child{text-align:left}
tr.fail td{background:#fde8e8}tr.pass td:first-child{color:#1a7f37;font-weight:bold}tr.fail td:first-child{color:#cf222e;font-weight:bold}
.verdict{font-weight:bold;padding:6px 10px;border-radius:4px;background:#f3f3f3}.verdict.pass{background:#dafbe1;color:#116329}.verdict.fail{background:#ffebe9;color:#a40e26}
.warning{color:#9a6700}.environment .blocking{color:#a40e26}
svg.chart{display:block;margin:4px 0 12px;max-width:100%;height:auto}svg text{font-size:12px;fill:#333}svg .note{fill:#888}svg .tick{fill:#666;font-size:11px}
.claims li{margin:4px 0}.holds{color:#1a7f37}.fails{color:#cf222e}.na{color:#888}details{color:#555;font-size:12px}
`;

export function renderHtml(input: HtmlInput): string {
  const { result } = input;
  const rows = firstPointRows(result);
  const hw = result.hardware;
  const title = `virtbench${input.mode === 'gate' ? ' gate' : input.mode === 'compare' ? ' compare' : ''} · ${result.scenario.name}`;
  const sections: string[] = [];
  if (input.gate) sections.push(gateSection(input, input.gate));
  const pointNote =
    result.sweepParameters.length > 0
      ? `<p class="meta">Bar charts at the first sweep point ${escapeHtml(JSON.stringify(rows[0]?.params ?? {}))}; the sweeps follow as line charts.</p>`
      : '';

  const boot = bootChart(result, rows);
  if (boot)
    sections.push(
      `<section id="boot"><h2>Boot time per engine</h2><p class="meta">Median boot time; each bar is split in proportion to the medians of its phases.</p>${pointNote}${boot}</section>`,
    );
  const image = simpleChart(
    'chart-image',
    'Image size per engine (what one instance boots from)',
    result,
    rows,
    'image_size',
  );
  if (image) sections.push(`<section id="image"><h2>Image size</h2>${image}</section>`);
  const density = simpleChart('chart-density', 'Instances per host', result, rows, 'density', {
    note: (row) => (row.detail ? `(${row.detail})` : ''),
  });
  if (density) sections.push(`<section id="density"><h2>Density</h2>${density}</section>`);
  const overhead = overheadCharts(result, rows);
  if (overhead.length > 0)
    sections.push(
      `<section id="overhead"><h2>Overhead against native, per dimension</h2>${overhead.join('')}</section>`,
    );
  const sweeps = sweepCharts(result);
  if (sweeps.length > 0) sections.push(`<section id="sweeps"><h2>Sweeps</h2>${sweeps.join('')}</section>`);

  if (result.claims.length > 0) {
    const items = result.claims.map((claim) => {
      const [mark, cls] = claim.holds === null ? ['–', 'na'] : claim.holds ? ['✓', 'holds'] : ['✗', 'fails'];
      return `<li class="claim" data-holds="${cls}"><span class="${cls}">${mark}</span> ${escapeHtml(claim.text)}${claim.holds === null ? ' <span class="na">(not applicable)</span>' : ''}<details><summary>evidence</summary>${claim.evidence.map((e) => escapeHtml(e)).join('<br>')}</details></li>`;
    });
    sections.push(`<section id="claims"><h2>Claims</h2><ul class="claims">${items.join('')}</ul></section>`);
  }
  sections.push(
    `<section id="table"><h2>Comparison table</h2><p class="meta">p50 per engine${input.baseline ? ', with the change against the baseline' : ''}.</p>${comparisonTable(input, rows)}</section>`,
  );
  if (result.skipped.length > 0) {
    sections.push(
      `<section id="skipped"><h2>Skipped</h2><ul>${result.skipped.map((s) => `<li>${escapeHtml(s.engine)}: ${escapeHtml(s.reasons.join('; '))}</li>`).join('')}</ul></section>`,
    );
  }
  if (result.notes.length > 0)
    sections.push(
      `<section id="notes"><h2>Notes</h2><ul>${result.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>`,
    );

  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`,
    `<header><h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(result.scenario.description.trim())}</p>`,
    `<p class="meta">Modeled hardware ${escapeHtml(hw.id)} · seed ${result.seed} · ${result.repetitions} repetitions · virtbench ${escapeHtml(result.environment.virtbench)} on ${escapeHtml(result.environment.os)}</p></header>`,
    sections.join('\n'),
    '</body></html>',
    '',
  ].join('\n');
}
