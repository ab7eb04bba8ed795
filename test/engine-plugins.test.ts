import { describe, expect, it } from 'vitest';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';
import { InputError } from '../engines/shared/errors.js';

describe('engines from outside the registry', () => {
  it('runs a profile file and a module beside a built-in engine', async () => {
    const scenario = await loadScenario('test/fixtures/plugins.yaml');
    expect(scenario.engines.map((e) => e.engine.id)).toEqual(['kvm', 'kvm-uefi', 'exec-plugin']);
    const result = (await runScenario(scenario)).result;
    const p50 = (engine: string, metric: string) =>
      result.rows.find((r) => r.engine === engine && r.metric === metric)!.p50;
    // The profile only changes firmware, so only the firmware phase moves, by the difference it sets.
    expect(p50('kvm-uefi', 'boot_time.firmware') / p50('kvm', 'boot_time.firmware')).toBeCloseTo(1350 / 350, 0);
    // The rest of the boot is the same mechanism, so the totals differ by about the 1000 ms added.
    const added = p50('kvm-uefi', 'boot_time') - p50('kvm', 'boot_time');
    expect(added).toBeGreaterThan(700);
    expect(added).toBeLessThan(1300);
    expect(p50('exec-plugin', 'boot_time')).toBeCloseTo(0.5 + 100 / 2.4, 3);
  });

  it('cites the profile parameter with the source the file gives', async () => {
    const scenario = await loadScenario('test/fixtures/plugins.yaml');
    const engine = scenario.engines.find((e) => e.engine.id === 'kvm-uefi')!.engine as unknown as {
      spec: { boot: { firmwareMs: unknown } };
    };
    expect(engine.spec.boot.firmwareMs).toEqual({
      value: 1350,
      source: 'measured UEFI POST on the test host',
      verified: 'measured',
    });
  });

  it('reports a module that throws on load with its cause', async () => {
    const error = await loadScenario('test/fixtures/broken-plugin.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const [problem] = (error as InputError).problems;
    expect(problem).toMatchObject({ path: 'engines[0].module', location: { line: 3 } });
    expect(problem!.message).toContain('plugin needs a license key');
  });

  it('validates a profile like a built-in engine, in its own file', async () => {
    const error = (await loadScenario('test/fixtures/broken-profile.yaml').catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.problems[0]).toMatchObject({
      location: { file: 'test/fixtures/engines/bad-param.yaml', line: 6, column: 3 },
      path: 'costs.warpDrive',
    });
  });
});
