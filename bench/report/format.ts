/** Human formatting of metric values, shared by the terminal, Markdown and HTML reports. */

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

/** A value with its unit, scaled to a readable size (ms to s, MiB to GiB). */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'ms':
      return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${formatNumber(value)} ms`;
    case 'MiB':
      return value >= 1024 ? `${(value / 1024).toFixed(2)} GiB` : `${formatNumber(value)} MiB`;
    case '%':
      return `${value >= 0 ? '+' : ''}${formatNumber(value)}%`;
    case 'instances':
      return formatNumber(value);
    case 'flag':
      return value >= 0.5 ? 'yes' : 'no';
    default:
      return `${formatNumber(value)} ${unit}`;
  }
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
  { label: 'Overhead: CPU', metric: 'overhead_cpu' },
  { label: 'Overhead: memory', metric: 'overhead_memory' },
  { label: 'Overhead: disk', metric: 'overhead_disk' },
  { label: 'Overhead: network', metric: 'overhead_network' },
  { label: 'Overhead: total', metric: 'overhead_total' },
  { label: 'Shares host kernel', metric: 'isolation.shared_kernel' },
  { label: 'Kernel fault takes down', metric: 'isolation' },
  { label: 'Boot storm: all ready', metric: 'boot_storm' },
  { label: 'Boot storm: p50 latency', metric: 'boot_storm.p50' },
  { label: 'Boot storm: p99 latency', metric: 'boot_storm.p99' },
  { label: 'Boot storm: ready per second', metric: 'boot_storm.rate' },
];

/** Headline metrics that get a bar chart each. */
export const CHARTED_METRICS = ['boot_time', 'image_size', 'density', 'overhead_total', 'boot_storm'] as const;
