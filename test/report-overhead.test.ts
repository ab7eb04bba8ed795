import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../bench/report/markdown.js';
import { renderTerminal } from '../bench/report/terminal.js';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';
import { withTempDir } from './helpers.js';

/** A scenario as docs/scenarios.md starts one, with whatever `extra` adds. */
async function runMinimal(dir: string, extra = '') {
  const file = join(dir, 'minimal.yaml');
  await writeFile(file, `hardware: felter2015-x3650m4\nrepetitions: 5\nengines: [docker, kvm]\n${extra}`);
  const scenario = await loadScenario(file);
  return { scenario, result: (await runScenario(scenario)).result };
}

describe('overhead of a workload', () => {
  it('is measured on real work when the scenario names no workload', async () => {
    await withTempDir(async (dir) => {
      const { scenario, result } = await runMinimal(dir);
      expect(scenario.workload.name).toBe('http-server');
      const total = result.rows.find((r) => r.engine === 'kvm' && r.metric === 'overhead_total')!;
      expect(total.p50).toBeGreaterThan(1);
      // http-server does no disk I/O: disk overhead is left out, with the reason.
      const text = renderTerminal(result, { color: false });
      expect(text).not.toContain('Overhead: disk');
      expect(text).toContain('Overhead: network');
      expect(text).toContain('Overhead (disk) left out: the workload does no work of that kind');
    });
  });

  it('is left out with a note, never shown as +0%, when the workload does no work', async () => {
    await withTempDir(async (dir) => {
      const { result } = await runMinimal(dir, 'workload: { name: idle }\n');
      const text = renderTerminal(result, { color: false });
      expect(text).not.toMatch(/Overhead: \w+ +[+≈]?0%/);
      expect(text).not.toContain('overhead_total (%');
      expect(text.replace(/\n +/g, ' ')).toContain(
        'Overhead (CPU, memory, disk, network, total) left out: the workload does no work of that kind',
      );
      const markdown = renderMarkdown({ result, mode: 'result' });
      expect(markdown).not.toContain('| Overhead: total');
      expect(markdown).toContain('left out: the workload does no work of that kind');
    });
  });
});
