import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../bench/report/terminal.js';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';
import { runCli, withTempDir } from './helpers.js';

describe('terminal report', () => {
  it('has no escape codes without colour and has them with it', async () => {
    const result = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml', { repetitions: 3 }))).result;
    expect(renderTerminal(result, { color: false })).not.toMatch(/\x1b\[/);
    expect(renderTerminal(result, { color: true })).toMatch(/\x1b\[/);
  });

  it('respects NO_COLOR even when colour is forced by a terminal', async () => {
    await withTempDir(async (dir) => {
      const run = await runCli(['run', '--out', dir, '--repetitions', '2', '--color'], { NO_COLOR: '1' });
      expect(run.stdout).not.toMatch(/\x1b\[/);
    });
  });

  it('uses a log scale when a metric spans decades', async () => {
    const result = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml', { repetitions: 3 }))).result;
    const text = renderTerminal(result, { color: false });
    expect(text).toContain('image_size (MiB, p50, log scale)');
    expect(text).toContain('density (instances, p50)\n');
  });

  it('draws a line chart per swept parameter', async () => {
    const result = (await runScenario(await loadScenario('test/fixtures/small-sweep.yaml'))).result;
    const text = renderTerminal(result, { color: false });
    expect(text).toContain('density (instances, p50) vs hardware.memory.gib');
    expect(text).toContain('x: 64, 128');
  });
});
