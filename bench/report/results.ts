import type { Environment, Provenance } from '../../engines/shared/environment.js';
import type {
  App,
  DensityPolicy,
  Driver,
  EngineKind,
  EngineOptions,
  HardwareProfile,
  StormSettings,
  Workload,
} from '../../engines/types.js';
import type { ResultRow } from './metrics.js';

/**
 * Bumped whenever the JSON result layout changes incompatibly. Version 2 added the resolved
 * scenario and its digest, the provenance, and the host's name and kernel.
 */
export const RESULT_SCHEMA_VERSION = 2;
/** Versions still read: version 1 lacks what version 2 added, which the gate then cannot check. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2];

/** One engine as the scenario ran it: what it is and every option it was given, defaults included. */
export interface ResolvedEngine {
  readonly id: string;
  readonly driver: Driver;
  readonly kind: EngineKind;
  /** For an engine from a `module:` entry: the module, relative to the scenario's folder when a path. */
  readonly module?: string;
  readonly options: EngineOptions;
}

/**
 * Everything that decides a run's figures, after defaults and references are resolved: two runs
 * of equal resolved scenarios measure the same thing. Paths are relative to the scenario's folder,
 * so the same scenario resolves alike in every checkout.
 */
export interface ResolvedScenario {
  readonly hardware: HardwareProfile;
  readonly app: App;
  readonly workload: Workload;
  readonly density: DensityPolicy;
  readonly storm: StormSettings | null;
  readonly engines: readonly ResolvedEngine[];
  readonly metrics: readonly string[];
  readonly sweep: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  readonly seed: number;
  readonly repetitions: number;
}

export interface ScenarioRecord {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  /** "sha256:" and the hash of the canonical JSON of `resolved`; absent in version 1 results. */
  readonly digest?: string;
  readonly resolved?: ResolvedScenario;
}

export interface EngineSummary {
  readonly id: string;
  readonly title: string;
  readonly kind: EngineKind;
  readonly driver: Driver;
  readonly modeledCounterpart?: string;
}

/** How reports name an engine; a real driver is marked, since it may share its id with a modeled engine. */
export function engineDisplayName(engine: Pick<EngineSummary, 'id' | 'driver'>): string {
  return engine.driver === 'real' ? `${engine.id} (real)` : engine.id;
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
  readonly scenario: ScenarioRecord;
  readonly seed: number;
  readonly repetitions: number;
  /** Absent in version 1 results. */
  readonly provenance?: Provenance;
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
