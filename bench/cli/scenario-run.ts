import type { Command } from 'commander';
import { type RunOptions, type RunOutcome, runScenario } from '../run/run.js';
import { loadScenario, type Scenario } from '../scenario/load.js';
import {
  addTrustOption,
  addWorkersOption,
  parseCount,
  type TrustFlags,
  type WorkerFlags,
  workerOptions,
} from './context.js';

/** What every command that runs a scenario lets the user set: seed, repetitions, threads, trust. */
export interface ScenarioRunFlags extends WorkerFlags, TrustFlags {
  seed?: number;
  repetitions?: number;
}

/**
 * `--seed`, `--repetitions`, `--workers`, `--pool-threshold` and `--allow-outside-modules`, alike
 * for every command that runs a scenario.
 */
export function addScenarioRunOptions(command: Command): Command {
  return addTrustOption(
    addWorkersOption(
      command
        .option('--seed <n>', 'override the scenario seed', parseCount('--seed'))
        .option('-r, --repetitions <n>', 'override the repetitions per cell', parseCount('--repetitions', 1)),
    ),
  );
}

/** Loads a scenario with the flags' overrides, and with `engines` in place of its list when given. */
export function loadScenarioWithFlags(file: string, flags: ScenarioRunFlags, engines?: string[]): Promise<Scenario> {
  return loadScenario(file, {
    seed: flags.seed,
    repetitions: flags.repetitions,
    engines,
    allowOutsideModules: flags.allowOutsideModules,
  });
}

/** Runs a scenario through the one pipeline, on as many threads as the flags ask for. */
export function runScenarioWithFlags(
  scenario: Scenario,
  flags: ScenarioRunFlags,
  options: RunOptions = {},
): Promise<RunOutcome> {
  return runScenario(scenario, { ...options, ...workerOptions(flags) });
}
