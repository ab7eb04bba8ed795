import { describe, expect, it } from 'vitest';
import { formatEstimate, formatNumber, formatValue } from '../bench/report/format.js';
import { renderTerminal } from '../bench/report/terminal.js';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';

const row = (p50: number, ci95Low: number, ci95High: number, unit = '%') => ({ p50, ci95Low, ci95High, unit });

describe('figures print what their samples support', () => {
  it('prints a figure inside its own confidence interval around zero as ≈0', () => {
    expect(formatEstimate(row(0.0082, -0.01, 0.03))).toBe('≈0%');
    expect(formatEstimate(row(-0.036, -0.09, 0.02))).toBe('≈0%');
    expect(formatEstimate(row(0.4, -0.2, 1, 'ms'))).toBe('≈0 ms');
    // Zero itself, and a figure whose interval excludes zero, print as numbers.
    expect(formatEstimate(row(0, 0, 0))).toBe('0%');
    expect(formatEstimate(row(2.18, 2.1, 2.26))).toBe('+2.18%');
  });

  it('rounds to the leading digit of the confidence interval', () => {
    expect(formatEstimate(row(2.1734, 1.9, 2.4))).toBe('+2.2%');
    expect(formatEstimate(row(15.43, 10, 20))).toBe('+15%');
    expect(formatEstimate(row(472.877, 451.7, 479.6, 'ms'))).toBe('473 ms');
    expect(formatEstimate(row(3054.6, 2900, 3200, 'ms'))).toBe('3.1 s');
    // With no spread (one sample) the usual three significant digits stay.
    expect(formatEstimate(row(3054.6, 3054.6, 3054.6, 'ms'))).toBe('3.05 s');
  });

  it('never prints floating-point dust', () => {
    expect(formatNumber(-4.5e-13, 0.5)).toBe('0');
    expect(formatNumber(0.04, 0.5)).toBe('0');
    expect(formatValue(-4.5e-13, '%', 0.5)).toBe('0%');
    expect(formatNumber(1.5e-7)).toBe('0.00000015');
    expect(formatNumber(1e-120)).toBe('0');
  });

  it('shows no noise as data in the default run', async () => {
    const result = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml', { repetitions: 5 }))).result;
    const text = renderTerminal(result, { color: false });
    expect(text).not.toMatch(/[+-]0\.0\d/);
    expect(text).toMatch(/Overhead: CPU +≈0%/);
  });
});
