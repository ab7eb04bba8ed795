import type { Environment } from '../../engines/shared/environment.js';
import type { Driver, EngineKind, HardwareProfile } from '../../engines/types.js';
import type { ResultRow } from './metrics.js';

/** Bumped whenever the JSON result layout changes incompatibly. */
export const RESULT_SCHEMA_VERSION = 1;

export interface EngineSummary {
  readonly id: string;
  readonly title: string;
  readonly kind: EngineKind;
  readonly driver: Driver;
  readonly modeledCounterpart?: string;
}

/** A cell an engine could not run, with its reasons. */
export interface SkippedCell {
  readonly engine: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly reasons: readonly string[];
}

/**
 * A claim's verdict, keyed on `holds` as the JSON result has always written it: true, false, or
 * null when no engine in the run is one the claim speaks about.
 */
export type ClaimResult = ClaimHeld | ClaimFailed | ClaimNotApplicable;

interface ClaimRecord {
  readonly id: string;
  readonly text: string;
  readonly evidence: readonly string[];
}

export interface ClaimHeld extends ClaimRecord {
  readonly holds: true;
}

export interface ClaimFailed extends ClaimRecord {
  readonly holds: false;
}

export interface ClaimNotApplicable extends ClaimRecord {
  readonly holds: null;
}

/** Everything a run produced; every report is a pure function of this. */
export interface RunResult {
  readonly schemaVersion: number;
  readonly scenario: { readonly name: string; readonly file: string; readonly description: string };
  readonly seed: number;
  readonly repetitions: number;
  readonly environment: Environment;
  readonly hardware: HardwareProfile;
  readonly sweepParameters: readonly string[];
  readonly engines: readonly EngineSummary[];
  readonly rows: readonly ResultRow[];
  readonly skipped: readonly SkippedCell[];
  readonly notes: readonly string[];
  readonly claims: readonly ClaimResult[];
}

/** Whether any figure of a result was measured on a host rather than modeled. */
export function hasRealMeasurements(result: RunResult): boolean {
  return result.engines.some((engine) => engine.driver === 'real') || result.rows.some((row) => row.driver === 'real');
}
