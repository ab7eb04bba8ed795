/**
 * How much the gate's defaults let through, measured rather than argued: the false-failure rate
 * of whole gates on seeded noise alone, and the smallest regression each mechanism needs before
 * the gate catches it. Regressions are real parameter changes (a slower boot phase in an engine
 * profile, a bigger application), never edited numbers.
 *
 *   npm run build:perf && node .perf/test/perf/gate-sensitivity.js [--seeds 20] [--noise-seeds 100] [--scenario file]
 */
import { parseArgs } from 'node:util';
import { buildPlan, type GateFlags } from '../../bench/gate/config.js';
import { evaluateGate, type GateReport, gatePassed } from '../../bench/gate/evaluate.js';
import type { RunResult } from '../../bench/report/results.js';
import { runScenario } from '../../bench/run/run.js';
import { loadScenario, type Scenario } from '../../bench/scenario/load.js';
import type { ModeledEngine } from '../../engines/modeled/define.js';
import { buildEngineFromProfile, engineProfileSchema } from '../../engines/profile.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    'noise-seeds': { type: 'string', default: '100' },
    scenario: { type: 'string', default: 'scenarios/seed-comparison.yaml' },
    'max-step': { type: 'string', default: '15' },
  },
});
const seeds = Number(values.seeds);
const noiseSeeds = Number(values['noise-seeds']);
const maxStep = Number(values['max-step']);

const scenario = await loadScenario(values.scenario!);
const baseline = (await runScenario(scenario)).result;

async function gate(current: Scenario, flags: GateFlags = {}): Promise<GateReport> {
  return evaluateGate(baseline, (await runScenario(current)).result, await buildPlan(undefined, flags));
}

/** The scenario's seed is the baseline's; noise runs use 1, 2, ... skipping it. */
function seedList(count: number): number[] {
  const list: number[] = [];
  for (let s = 1; list.length < count; s++) if (s !== scenario.seed) list.push(s);
  return list;
}

// 1. Noise alone.
let falseGates = 0;
let falseGatesSignificanceOnly = 0;
let checks = 0;
let falseChecks = 0;
for (const seed of seedList(noiseSeeds)) {
  const current = { ...scenario, seed };
  const report = await gate(current);
  checks += report.checks.length;
  falseChecks += report.checks.filter((c) => !c.passed).length;
  if (!gatePassed(report)) falseGates++;
  if (!gatePassed(await gate(current, { threshold: 0 }))) falseGatesSignificanceOnly++;
}
console.log(
  `virtbench gate sensitivity on ${scenario.file} (baseline seed ${scenario.seed}, ${scenario.repetitions} repetitions)\n`,
);
console.log(`Noise alone, ${noiseSeeds} seeds:`);
console.log(
  `  default gate (α 0.01 Holm, 5% threshold): ${falseGates} of ${noiseSeeds} gates failed (${falseChecks} of ${checks} checks)`,
);
console.log(`  significance alone (threshold 0%):        ${falseGatesSignificanceOnly} of ${noiseSeeds} gates failed`);

// 2. Regressions of growing size.
function withEngine(base: Scenario, engineId: string, boot: Record<string, number>): Scenario {
  const entry = base.engines.find((e) => e.engine.id === engineId)!;
  const profile = engineProfileSchema.parse({ id: engineId, base: engineId, boot });
  const built = buildEngineFromProfile(profile, (entry.engine as ModeledEngine).spec, 'sensitivity');
  if (!built.engine) throw new Error(built.problems.map((p) => p.message).join('; '));
  return {
    ...base,
    engines: base.engines.map((e) => (e.engine.id === engineId ? { ...e, engine: built.engine! } : e)),
  };
}

function meanOf(result: RunResult, engine: string, metric: string): number {
  return result.rows.find((r) => r.engine === engine && r.metric === metric && Object.keys(r.params).length === 0)!
    .mean;
}

interface Mechanism {
  readonly label: string;
  readonly engine: string;
  readonly metric: string;
  /** The scenario with the metric made `percent` worse through one parameter. */
  readonly apply: (percent: number) => Scenario;
}

/** Makes the engine's boot `percent` slower through one boot parameter; `perMs` is how much of it is one ms (GHz for Mcycles). */
function slowerPhase(engine: string, parameter: string, perMs = 1): Mechanism {
  const spec = (scenario.engines.find((e) => e.engine.id === engine)!.engine as ModeledEngine).spec;
  const current = (spec.boot as unknown as Record<string, { value: number }>)[parameter]!.value;
  const boot = meanOf(baseline, engine, 'boot_time');
  return {
    label: `${engine} boot_time via boot.${parameter}`,
    engine,
    metric: 'boot_time',
    apply: (percent) => withEngine(scenario, engine, { [parameter]: current + (percent / 100) * boot * perMs }),
  };
}

const containerImage = meanOf(baseline, 'docker', 'image_size');
const mechanisms: Mechanism[] = [
  slowerPhase('kvm', 'firmwareMs'),
  slowerPhase('firecracker', 'vmmStartMs'),
  slowerPhase('docker', 'daemonMcycles', scenario.hardware.cpu.ghz),
  slowerPhase('virtualbox', 'firmwareMs'),
  {
    label: 'docker image_size via app.sizeMiB',
    engine: 'docker',
    metric: 'image_size',
    apply: (percent) => ({
      ...scenario,
      app: { ...scenario.app, sizeMiB: scenario.app.sizeMiB + (percent / 100) * containerImage },
    }),
  },
];

console.log(`\nRegressions, ${seeds} noise seeds per size (caught = the gate fails that check):`);
for (const mechanism of mechanisms) {
  const rates: string[] = [];
  let always: number | undefined;
  let half: number | undefined;
  for (let percent = 1; percent <= maxStep; percent++) {
    let caught = 0;
    for (const seed of seedList(seeds)) {
      const report = await gate({ ...mechanism.apply(percent), seed });
      if (report.checks.some((c) => c.engine === mechanism.engine && c.metric === mechanism.metric && !c.passed))
        caught++;
    }
    rates.push(`${percent}%:${caught}`);
    if (half === undefined && caught * 2 >= seeds) half = percent;
    if (caught === seeds) {
      always = percent;
      break;
    }
  }
  console.log(
    `  ${mechanism.label.padEnd(38)} caught every time from +${always ?? `>${maxStep}`}%, half the time from +${half ?? `>${maxStep}`}%  [${rates.join(' ')}]`,
  );
}
