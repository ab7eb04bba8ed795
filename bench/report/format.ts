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
