import { describe, expect, it } from 'vitest';
import { collapseNotes } from '../bench/report/format.js';
import type { RunResult } from '../bench/report/results.js';
import { renderTerminal, terminalWidth } from '../bench/report/terminal.js';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';
import { runCli, withTempDir } from './helpers.js';

/** Columns a line takes on a terminal: one per code point (the report draws no wide characters). */
function widest(text: string): number {
  return Math.max(...text.split('\n').map((line) => [...line].length));
}

async function run(file: string, repetitions?: number): Promise<RunResult> {
  return (await runScenario(await loadScenario(file, repetitions ? { repetitions } : {}))).result;
}

describe('the terminal report fits the terminal', () => {
  it('fits the default run in 100 columns and in 80', async () => {
    const result = await run('scenarios/seed-comparison.yaml', 5);
    for (const width of [100, 80]) {
      const text = renderTerminal(result, { color: false, width });
      expect(widest(text), `at ${width} columns`).toBeLessThanOrEqual(width);
      // Every engine still has its column, and a long name is wrapped rather than widening it.
      for (const engine of result.engines) expect(text).toContain(engine.id.split('-')[0]);
      expect(text).toMatch(/vmware-\n.*workstation/);
    }
  });

  it('takes the width from the stream, else COLUMNS, else 100', () => {
    expect(terminalWidth({ columns: 72 }, { COLUMNS: '90' })).toBe(72);
    expect(terminalWidth({}, { COLUMNS: '90' })).toBe(90);
    expect(terminalWidth({}, {})).toBe(100);
    expect(terminalWidth({}, { COLUMNS: 'wide' })).toBe(100);
  });

  it('fits `run` at COLUMNS=80', async () => {
    await withTempDir(async (dir) => {
      const cli = await runCli(['run', '--out', dir, '--repetitions', '3'], { COLUMNS: '80' });
      expect(cli.code).toBe(0);
      // The last line names the written files, whose paths are as long as they are.
      const report = cli.stdout.slice(0, cli.stdout.lastIndexOf('\nwrote '));
      expect(widest(report)).toBeLessThanOrEqual(80);
    });
  });

  it('marks each line-chart series with its own symbol and a legend that matches, without colour', async () => {
    const text = renderTerminal(await run('test/fixtures/small-sweep.yaml'), { color: false });
    const chart = text.slice(text.indexOf('density (instances, p50) vs hardware.memory.gib'));
    const plotted = chart.split('\n').slice(1, 12).join('\n');
    expect(plotted).toContain('●');
    expect(plotted).toContain('■');
    expect(chart).toContain('● docker  ■ kvm');
  });
});

describe('an engine skipped at the first sweep point', () => {
  it('keeps its column, its bars and its curve, with the skipped point and its reason', async () => {
    const result = await run('test/fixtures/skip-first-point.yaml');
    expect(result.skipped.map((s) => s.params['options.memoryMiB'])).toEqual([256]);
    const text = renderTerminal(result, { color: false });
    const table = text.slice(0, text.indexOf('boot_time (ms, p50)'));
    expect(table).toMatch(/ docker +kvm\n/);
    expect(table).toMatch(/Boot time \(p50\) +\d+ ms +skipped\n/);
    expect(table).toContain('kvm is skipped at this point: guest memory 256 MiB is below');
    expect(text).toMatch(/\nkvm +skipped at this point\n/);
    const curve = text.slice(text.indexOf('density (instances, p50) vs options.memoryMiB'));
    expect(curve).toContain('● docker  ■ kvm');
    // kvm's line starts at 512 MiB, leaving the 256 MiB column empty.
    const plotted = curve.split('\n').slice(1, 12);
    expect(plotted.some((line) => line.includes('■'))).toBe(true);
    expect(plotted.every((line) => line.charAt(line.indexOf('┤') + 1) !== '■')).toBe(true);
    expect(curve).toContain('kvm skipped at options.memoryMiB=256: guest memory 256 MiB is below');
  });
});

describe('notes', () => {
  const storm = [25000, 50000, 75000, 100000].flatMap((instances) =>
    [
      ['docker', 3840],
      ['kvm', 1237],
      ['xen', 1314],
    ].map(
      ([engine, fit]) =>
        `${engine}: a storm of ${instances} instances exceeds the ${fit} that fit on fc-m5d-metal; it is simulated as if they fit`,
    ),
  );

  it('collapse near-identical notes into one line with a count and the ranges', () => {
    expect(collapseNotes(storm)).toEqual([
      'docker, kvm, xen (12 notes): a storm of 25000–100000 instances exceeds the 1237–3840 that fit on fc-m5d-metal; it is simulated as if they fit',
    ]);
    expect(collapseNotes(['kvm: one thing', 'xen: another'])).toEqual(['kvm: one thing', 'xen: another']);
  });

  it('print a storm grid’s sixty notes as one line', async () => {
    const result = await run('test/fixtures/small-sweep.yaml');
    const text = renderTerminal(
      { ...result, notes: [...storm, ...storm, ...storm, ...storm, ...storm] },
      { color: false },
    );
    const notes = text
      .slice(text.indexOf('\nNotes\n') + 7)
      .trim()
      .split('\n');
    expect(notes[0]).toContain('(60 notes)');
    expect(notes.length).toBeLessThanOrEqual(3);
  });
});
