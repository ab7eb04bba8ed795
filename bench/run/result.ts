import { createHash } from 'node:crypto';
import { dirname, isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';
import type { Environment, Provenance } from '../../engines/shared/environment.js';
import type { EngineOptions } from '../../engines/types.js';
import {
  type EngineSummary,
  RESULT_SCHEMA_VERSION,
  type ResolvedScenario,
  type RunResult,
  type ScenarioRecord,
} from '../report/results.js';
import type { Scenario } from '../scenario/load.js';
import type { CellOutcome } from './cell.js';
import { evaluateClaims } from './claims.js';

export function engineSummaries(scenario: Scenario): EngineSummary[] {
  return scenario.engines.map(({ engine }) => ({
    id: engine.id,
    title: engine.title,
    kind: engine.kind,
    driver: engine.driver,
    ...(engine.modeledCounterpart ? { modeledCounterpart: engine.modeledCounterpart } : {}),
  }));
}

/** A path the scenario resolved against its own folder, written relative to it again. */
function relativeToScenario(scenario: Scenario, path: string): string {
  return relative(dirname(scenario.file), path).split('\\').join('/');
}

function portableOptions(scenario: Scenario, options: EngineOptions): EngineOptions {
  const kernel = options.real?.kernel;
  if (kernel === undefined || !isAbsolute(kernel)) return options;
  return { ...options, real: { ...options.real, kernel: relativeToScenario(scenario, kernel) } };
}

/** The scenario as it ran, every default and reference resolved, with paths that do not depend on the checkout. */
export function resolvedScenario(scenario: Scenario): ResolvedScenario {
  return {
    hardware: scenario.hardware,
    app: scenario.app,
    workload: scenario.workload,
    density: scenario.density,
    storm: scenario.storm ?? null,
    engines: scenario.engines.map(({ engine, options, module }) => ({
      id: engine.id,
      driver: engine.driver,
      kind: engine.kind,
      ...(module
        ? { module: module.startsWith('file:') ? relativeToScenario(scenario, fileURLToPath(module)) : module }
        : {}),
      options: portableOptions(scenario, options),
    })),
    metrics: scenario.metrics,
    sweep: scenario.sweep,
    seed: scenario.seed,
    repetitions: scenario.repetitions,
  };
}

/** "sha256:" and the hash of the resolved scenario's canonical JSON (RFC 8785: sorted keys, fixed number forms). */
export function scenarioDigest(resolved: ResolvedScenario): string {
  const canonical = canonicalize(resolved);
  if (canonical === undefined) throw new Error('the resolved scenario has no JSON form');
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

export function scenarioRecord(scenario: Scenario): ScenarioRecord {
  const resolved = resolvedScenario(scenario);
  return {
    name: scenario.name,
    file: scenario.file,
    description: scenario.description,
    digest: scenarioDigest(resolved),
    resolved,
  };
}

/** Where and from what a result came: the host, and the commit and time it was made. */
export interface ResultOrigin {
  readonly environment: Environment;
  readonly provenance: Provenance;
}

/**
 * A run's result from its cells' outcomes, in canonical order with the claims evaluated. The
 * writer starts from the empty one; `merge` assembles shards' outcomes with it.
 */
export function assembleResult(scenario: Scenario, outcomes: readonly CellOutcome[], origin: ResultOrigin): RunResult {
  const ordered = [...outcomes].sort((a, b) => a.plan.index - b.plan.index);
  const rows = ordered.flatMap((o) => (o.state === 'measured' ? o.rows : []));
  const engines = engineSummaries(scenario);
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    scenario: scenarioRecord(scenario),
    seed: scenario.seed,
    repetitions: scenario.repetitions,
    provenance: origin.provenance,
    environment: origin.environment,
    hardware: scenario.hardware,
    sweepParameters: Object.keys(scenario.sweep),
    engines,
    rows,
    skipped: ordered.flatMap((o) => (o.state === 'skipped' ? [o.skipped] : [])),
    notes: ordered.flatMap((o) => (o.state === 'measured' ? o.notes : [])),
    claims: evaluateClaims(scenario, rows, engines),
  };
}
