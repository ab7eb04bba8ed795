import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { renderCsv } from '../bench/report/csv.js';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';

const REQUIRED =
  'scenario,engine,kind,driver,hardware,metric,unit,n,mean,p50,p95,p99,min,max,stddev,ci95_low,ci95_high';

describe('CSV report', () => {
  it('starts with the required columns and has one row per engine x metric', async () => {
    const result = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml'))).result;
    const csv = renderCsv(result);
    const [header, ...lines] = csv.trimEnd().split('\n');
    expect(header!.startsWith(REQUIRED)).toBe(true);
    expect(lines).toHaveLength(result.rows.length);
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    const engines = new Set(records.map((r) => r.engine));
    expect(engines.size).toBe(10);
    for (const metric of [
      'boot_time',
      'image_size',
      'density',
      'overhead_cpu',
      'overhead_memory',
      'overhead_disk',
      'overhead_network',
      'overhead_total',
    ]) {
      const rows = records.filter((r) => r.metric === metric);
      expect(rows.map((r) => r.engine).sort()).toEqual([...engines].sort());
    }
    expect(records.every((r) => r.driver === 'model')).toBe(true);
    const kvmBoot = records.find((r) => r.engine === 'kvm' && r.metric === 'boot_time')!;
    expect(Number(kvmBoot.n)).toBe(30);
    expect(Number(kvmBoot.ci95_low)).toBeLessThanOrEqual(Number(kvmBoot.mean));
    expect(Number(kvmBoot.ci95_high)).toBeGreaterThanOrEqual(Number(kvmBoot.mean));
  });

  it('adds a param_ column per sweep parameter and a row per sweep point', async () => {
    const result = (await runScenario(await loadScenario('test/fixtures/small-sweep.yaml'))).result;
    const records = parse(renderCsv(result), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual(
      expect.arrayContaining(['param_hardware.memory.gib', 'param_options.vcpus']),
    );
    const kvmDensity = records.filter((r) => r.engine === 'kvm' && r.metric === 'density');
    expect(kvmDensity.map((r) => [r['param_hardware.memory.gib'], r['param_options.vcpus']])).toEqual([
      ['64', '1'],
      ['64', '2'],
      ['128', '1'],
      ['128', '2'],
    ]);
  });

  it('names the binding resource of density in the detail column', async () => {
    const result = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml', { engines: ['kvm'] })))
      .result;
    const records = parse(renderCsv(result), { columns: true }) as Record<string, string>[];
    expect(records.find((r) => r.metric === 'density')!.detail).toMatch(/^binding: (memory|cpu|storage)$/);
  });
});
