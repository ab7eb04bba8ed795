import { hasRealMeasurements, type RunResult } from '../report/results.js';

/**
 * Whether two results may be compared at all. Numbers from different machines differ for reasons
 * no statistical test can separate from a regression, so a difference in anything that produced
 * them is refused unless the user forces the comparison.
 *
 * What "produced them" depends on the driver: modeled figures come from the modeled hardware
 * profile alone, so the host only matters when a result holds real measurements.
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
const HOST_FIELDS = ['cpu', 'cores', 'arch', 'os'] as const;
/** Host fields that never change a figure by themselves. */
const TOOL_FIELDS = ['virtbench', 'node'] as const;

function leaves(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, `${prefix}.${key}`, out);
  } else {
    out.set(prefix, JSON.stringify(value));
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
  const field = (name: string, result: RunResult): string =>
    JSON.stringify((result.environment as unknown as Record<string, unknown>)[name]);
  const host = HOST_FIELDS.map((name) => ({
    field: `environment.${name}`,
    baseline: field(name, baseline),
    current: field(name, current),
  })).filter((d) => d.baseline !== d.current);
  const tools = TOOL_FIELDS.map((name) => ({
    field: `environment.${name}`,
    baseline: field(name, baseline),
    current: field(name, current),
  })).filter((d) => d.baseline !== d.current);
  return {
    blocking: [...hardware.filter((d) => !DESCRIPTIVE_HARDWARE_FIELDS.has(d.field)), ...(hostMatters ? host : [])],
    informational: [
      ...hardware.filter((d) => DESCRIPTIVE_HARDWARE_FIELDS.has(d.field)),
      ...(hostMatters ? [] : host),
      ...tools,
    ],
  };
}

export function formatDifferences(differences: readonly FieldDifference[]): string[] {
  return differences.map((d) => `${d.field}: baseline ${d.baseline}, current ${d.current}`);
}
