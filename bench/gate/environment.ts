import { hasRealMeasurements, type ResolvedScenario, type RunResult } from '../report/results.js';

/**
 * Whether two results may be compared at all. Numbers from different machines or different
 * experiments differ for reasons no statistical test can separate from a regression, so a
 * difference in anything that produced them is refused unless the user forces the comparison.
 *
 * What "produced them" depends on the driver: modeled figures come from the modeled hardware
 * profile and the scenario alone, so the host (its OS and kernel included) only matters when a
 * result holds real measurements. The scenario is compared field by field from the resolved
 * scenario both results record: the same app, workload, density, storm, engines and options,
 * metrics and sweep. A different seed or repetition count draws other samples of the same thing,
 * which is what the A/B tests are for, so those are only shown.
 */

export interface FieldDifference {
  readonly field: string;
  readonly baseline: string;
  readonly current: string;
}

export interface EnvironmentComparison {
  /** Differences that make the numbers incomparable. */
  readonly blocking: readonly FieldDifference[];
  /** Differences worth showing that cannot move the numbers compared. */
  readonly informational: readonly FieldDifference[];
}

/** Hardware profile fields that name or describe it but do not enter the model. */
const DESCRIPTIVE_HARDWARE_FIELDS = new Set(['hardware.id', 'hardware.description', 'hardware.source']);
/** Host fields that change what a real driver measures. */
const HOST_FIELDS = ['cpu', 'cores', 'arch', 'os', 'kernel'] as const;
/** Host fields that never change a figure by themselves: a CI runner gets a new hostname every run. */
const TOOL_FIELDS = ['virtbench', 'node', 'hostname'] as const;
/** Resolved scenario fields that draw other samples of the same experiment rather than another experiment. */
const SAMPLING_FIELDS = new Set(['seed', 'repetitions']);

function leaves(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, `${prefix}.${key}`, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/**
 * A resolved scenario's fields as leaves, engines keyed by id and driver so that a changed option
 * is named by its engine. Hardware is left out: it is compared from the result's own profile.
 */
function scenarioLeaves(resolved: ResolvedScenario): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(resolved)) {
    if (key === 'hardware') continue;
    if (key === 'engines') {
      for (const engine of resolved.engines) {
        const { id, driver, ...rest } = engine;
        leaves(rest, `scenario.engines[${id}${driver === 'real' ? ' (real)' : ''}]`, out);
      }
      continue;
    }
    leaves(value, `scenario.${key}`, out);
  }
  return out;
}

function differences(a: Map<string, string>, b: Map<string, string>): FieldDifference[] {
  const fields = [...new Set([...a.keys(), ...b.keys()])];
  return fields
    .filter((field) => a.get(field) !== b.get(field))
    .map((field) => ({ field, baseline: a.get(field) ?? '(absent)', current: b.get(field) ?? '(absent)' }));
}

export function compareEnvironments(baseline: RunResult, current: RunResult): EnvironmentComparison {
  const hardware = differences(
    leaves(baseline.hardware, 'hardware', new Map()),
    leaves(current.hardware, 'hardware', new Map()),
  );
  const hostMatters = hasRealMeasurements(baseline) || hasRealMeasurements(current);
  const field = (name: string, result: RunResult): string | undefined => {
    const value = (result.environment as unknown as Record<string, unknown>)[name];
    return value === undefined ? undefined : JSON.stringify(value);
  };
  // A field an older result does not record (hostname, kernel) cannot be compared.
  const environmentDifferences = (names: readonly string[]): FieldDifference[] =>
    names
      .map((name) => ({ field: `environment.${name}`, baseline: field(name, baseline), current: field(name, current) }))
      .filter((d): d is FieldDifference => d.baseline !== undefined && d.current !== undefined)
      .filter((d) => d.baseline !== d.current);
  const host = environmentDifferences(HOST_FIELDS);
  const tools = environmentDifferences(TOOL_FIELDS);
  const scenario = compareScenarios(baseline, current);
  return {
    blocking: [
      ...scenario.blocking,
      ...hardware.filter((d) => !DESCRIPTIVE_HARDWARE_FIELDS.has(d.field)),
      ...(hostMatters ? host : []),
    ],
    informational: [
      ...scenario.informational,
      ...hardware.filter((d) => DESCRIPTIVE_HARDWARE_FIELDS.has(d.field)),
      ...(hostMatters ? [] : host),
      ...tools,
    ],
  };
}

/** The resolved scenarios' differences; a result that records none (schema version 1) is said to be unchecked. */
function compareScenarios(baseline: RunResult, current: RunResult): EnvironmentComparison {
  const a = baseline.scenario.resolved;
  const b = current.scenario.resolved;
  if (!a && !b) return { blocking: [], informational: [] };
  if (!a || !b) {
    const unrecorded = (resolved: ResolvedScenario | undefined) =>
      resolved ? 'recorded' : 'not recorded (an older result)';
    return {
      blocking: [],
      informational: [{ field: 'scenario.resolved', baseline: unrecorded(a), current: unrecorded(b) }],
    };
  }
  if (baseline.scenario.digest !== undefined && baseline.scenario.digest === current.scenario.digest)
    return { blocking: [], informational: [] };
  const all = differences(scenarioLeaves(a), scenarioLeaves(b));
  const sampling = (d: FieldDifference) => SAMPLING_FIELDS.has(d.field.slice('scenario.'.length));
  return { blocking: all.filter((d) => !sampling(d)), informational: all.filter(sampling) };
}

/** Whether a difference is one of the experiment itself rather than of where it ran. */
export function isScenarioDifference(difference: FieldDifference): boolean {
  return difference.field.startsWith('scenario.');
}

export function formatDifferences(differences: readonly FieldDifference[]): string[] {
  return differences.map((d) => `${d.field}: baseline ${d.baseline}, current ${d.current}`);
}
