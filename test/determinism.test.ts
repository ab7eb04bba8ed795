import { describe, expect, it } from 'vitest';
import { renderCsv } from '../bench/report/csv.js';
import { renderJson } from '../bench/report/json.js';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';
import { currentProvenance } from '../engines/shared/environment.js';

describe('determinism', () => {
  it('gives byte-identical CSV and JSON for the same seed', async () => {
    // The start time is the one field that differs between two runs on one host and checkout.
    const provenance = currentProvenance();
    const a = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml'), { provenance })).result;
    const b = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml'), { provenance })).result;
    expect(renderCsv(a)).toBe(renderCsv(b));
    expect(renderJson(a)).toBe(renderJson(b));
  });

  it('gives different samples for a different seed, and the same deterministic metrics', async () => {
    const a = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml', { seed: 1 }))).result;
    const b = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml', { seed: 2 }))).result;
    const row = (r: typeof a, metric: string) => r.rows.find((x) => x.engine === 'kvm' && x.metric === metric)!;
    expect(row(a, 'boot_time').samples).not.toEqual(row(b, 'boot_time').samples);
    expect(row(a, 'image_size').p50).toBe(row(b, 'image_size').p50);
    expect(row(a, 'density').p50).toBe(row(b, 'density').p50);
  });

  it('gives a cell the same numbers whichever other engines run beside it', async () => {
    const all = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml'))).result;
    const alone = (await runScenario(await loadScenario('scenarios/seed-comparison.yaml', { engines: ['kvm'] })))
      .result;
    const pick = (r: typeof all) => r.rows.filter((x) => x.engine === 'kvm');
    expect(pick(alone)).toEqual(pick(all));
  });
});
