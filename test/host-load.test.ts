import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';
import { loadWarnings, sampleHostLoad } from '../engines/real/host/load.js';
import type { HostLoad } from '../engines/shared/environment.js';
import { withTempDir } from './helpers.js';

/** An aggregate cpu line of /proc/stat: user nice system idle iowait irq softirq steal guest guest_nice. */
const cpuLine = (busy: number, idle: number, steal: number) =>
  `cpu  ${busy} 0 0 ${idle} 0 0 0 ${steal} 0 0\ncpu0 1 2 3\n`;

describe('the host load before real measurements', () => {
  it('reads the load average, and the steal time over the sampling interval', async () => {
    await withTempDir(async (proc) => {
      await writeFile(join(proc, 'loadavg'), '3.25 2.00 1.00 2/300 4242\n');
      await writeFile(join(proc, 'stat'), cpuLine(1000, 5000, 100));
      const sampling = sampleHostLoad(400, proc);
      await sleep(100);
      // 200 ticks pass, 30 of them stolen: 15%. The ticks before the interval do not count.
      await writeFile(join(proc, 'stat'), cpuLine(1070, 5100, 130));
      const load = await sampling;
      expect(load).toEqual({ loadAverage1m: 3.25, cores: expect.any(Number), stealPercent: 15 });
    });
  });

  it('is unknown where /proc cannot be read', async () => {
    expect(await sampleHostLoad(1, '/nonexistent-proc')).toBeUndefined();
  });

  it('warns when the load average passes half the cores, or the hypervisor steals time', () => {
    expect(loadWarnings({ loadAverage1m: 0.9, cores: 2, stealPercent: 0 })).toEqual([]);
    const loaded = loadWarnings({ loadAverage1m: 3.1, cores: 4, stealPercent: 0 });
    expect(loaded).toHaveLength(1);
    expect(loaded[0]).toMatch(/^the host is loaded: 1-minute load average 3\.1 on 4 cores/);
    const stolen = loadWarnings({ loadAverage1m: 0, cores: 4, stealPercent: 7.5 });
    expect(stolen).toEqual([expect.stringMatching(/steals 7\.5% of the CPU time/)]);
  });

  it('is sampled and recorded for a run with real drivers, with a warning before anything runs', async () => {
    await withTempDir(async (dir) => {
      const loaded: HostLoad = { loadAverage1m: 5, cores: 2, stealPercent: 4 };
      const events: string[] = [];
      const scenario = await loadScenario('test/fixtures/pool-threads.yaml');
      const run = await runScenario(scenario, {
        base: join(dir, 'pool-threads'),
        workers: 1,
        sampleLoad: async () => loaded,
        onWarning: (warning) => events.push(`warning: ${warning}`),
        onProgress: () => events.push('progress'),
      });
      expect(events.slice(0, 2)).toEqual([
        expect.stringMatching(/^warning: the host is loaded/),
        expect.stringMatching(/^warning: the hypervisor below steals 4%/),
      ]);
      expect(events.filter((e) => e === 'progress').length).toBeGreaterThan(0);
      expect(run.result.environment.load).toEqual(loaded);
      const json = JSON.parse(await readFile(join(dir, 'pool-threads.json'), 'utf8'));
      expect(json.environment.load).toEqual(loaded);
    });
  });

  it('is not sampled for a modeled run, which the host does not affect', async () => {
    let sampled = false;
    const run = await runScenario(await loadScenario('test/fixtures/small-sweep.yaml'), {
      workers: 1,
      sampleLoad: async () => {
        sampled = true;
        return { loadAverage1m: 99, cores: 1, stealPercent: 50 };
      },
      onWarning: (warning) => {
        throw new Error(`unexpected warning: ${warning}`);
      },
    });
    expect(sampled).toBe(false);
    expect(run.result.environment.load).toBeUndefined();
  });
});
