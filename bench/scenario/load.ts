import { basename, dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { findHardware, hardwareIds } from '../../engines/hardware/index.js';
import { findImage, imageIds } from '../../engines/images.js';
import { isKnownMetric, type MetricFamily } from '../../engines/metrics.js';
import type { ModeledEngine } from '../../engines/modeled/define.js';
import { buildEngineFromProfile, engineProfileSchema } from '../../engines/profile.js';
import { detectHostHardware, HOST_HARDWARE_ID } from '../../engines/real/host/hardware.js';
import { engineIds, engineShapeProblems, hasEngine, loadEngine } from '../../engines/registry.js';
import { excerpt, InputError, type InputProblem, type SourceLocation } from '../../engines/shared/errors.js';
import { replaceAtPath } from '../../engines/shared/replace-at-path.js';
import type {
  App,
  DensityPolicy,
  Engine,
  EngineOptions,
  HardwareProfile,
  StormSettings,
  Workload,
} from '../../engines/types.js';
import { findWorkload, workloadIds } from '../../engines/workloads.js';
import { problemsFromIssues } from './issues.js';
import { formatPath, locate, type PathSegment } from './locate.js';
import {
  appSchema,
  type ClaimSpec,
  densitySchema,
  type EngineEntry,
  hardwareSchema,
  MOST_ENGINES,
  MOST_NAME_CHARACTERS,
  OPTION_DEFAULTS,
  optionsSchema,
  type ScenarioDocument,
  scenarioSchema,
  stormSchema,
  workloadSchema,
} from './schema.js';
import { type ParsedSource, parseSourceFile } from './source.js';
import { didYouMean } from './suggest.js';
import { checkModule, checkProfile } from './trust.js';

/** One engine as a scenario runs it: the engine itself and the options its entry sets. */
export interface ScenarioEngine {
  readonly engine: Engine;
  readonly options: EngineOptions;
  /** For an engine from a `module:` entry, the specifier it was imported by, so a pool worker imports the same module. */
  readonly module?: string;
}

/** A validated scenario with every reference resolved: ready to run. */
export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly hardware: HardwareProfile;
  readonly seed: number;
  readonly repetitions: number;
  readonly app: App;
  readonly workload: Workload;
  readonly density: DensityPolicy;
  /** Present when every engine should also simulate a boot storm. */
  readonly storm?: StormSettings;
  readonly engines: readonly ScenarioEngine[];
  readonly metrics: readonly MetricFamily[];
  readonly sweep: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  readonly claims: readonly ClaimSpec[];
  /** The validated document, for commands that read blocks the runner does not use. */
  readonly document: ScenarioDocument;
}

/** Command-line overrides, applied after validation, and what loading may do. */
export interface ScenarioOverrides {
  readonly seed?: number;
  readonly repetitions?: number;
  /** Run exactly these engines: entries of the scenario with these ids, or built-ins with defaults. */
  readonly engines?: readonly string[];
  /**
   * The hardware profile, already resolved: a worker thread reloading a scenario passes the main
   * thread's, so that `hardware: host` is probed once and every thread models the same machine.
   */
  readonly resolvedHardware?: HardwareProfile;
  /** Let `module:` and `profile:` name files outside the scenario's folder (--allow-outside-modules). */
  readonly allowOutsideModules?: boolean;
  /**
   * False checks each `module:` path and that its file exists, without importing (running) it:
   * such an engine is left out of `engines`. Default true.
   */
  readonly loadModules?: boolean;
}

export { parseSourceFile } from './source.js';

function validate<T>(schema: z.ZodType<T>, source: ParsedSource): T {
  const result = schema.safeParse(source.data);
  if (result.success) return result.data;
  throw new InputError(
    problemsFromIssues(result.error.issues, { ...source, input: source.data, schema: schema as z.ZodType }),
  );
}

/** Loads, validates and resolves a scenario file. Throws InputError for anything wrong with it. */
export async function loadScenario(file: string, overrides: ScenarioOverrides = {}): Promise<Scenario> {
  const source = await parseSourceFile(file);
  const document = validate(scenarioSchema, source);
  const problems: InputProblem[] = [];
  const problem = (path: PathSegment[], message: string, expected?: string, hint?: string, key?: string): void => {
    const position = locate(source.doc, source.lines, path, key);
    problems.push({
      location: { file, line: position?.line, column: position?.column },
      path: formatPath(key ? [...path, key] : path),
      message,
      expected,
      hint,
    });
  };

  // A grid or a name that cannot run is refused before any engine or hardware is resolved.
  checkSize(document, overrides, problem);
  const name = document.name ?? basename(file, extname(file));
  if (document.name === undefined && name.length > MOST_NAME_CHARACTERS) {
    problem(
      [],
      `the file name "${excerpt(name)}" is ${name.length} characters long, too long to name the output files`,
      `a name of at most ${MOST_NAME_CHARACTERS} characters`,
      'add name: with a shorter name',
    );
  }
  if (problems.length > 0) throw new InputError(problems);

  const hardware = overrides.resolvedHardware ?? (await resolveHardware(document, problem));
  const workload = resolveWorkload(document, problem);
  const defaults: EngineOptions = { ...OPTION_DEFAULTS, ...document.defaults };
  checkImage(defaults.image, ['defaults', 'image'], problem);

  const entries = selectEntries(document.engines, overrides.engines, problems);
  const engines: ScenarioEngine[] = [];
  const sources: EngineSources = {
    baseDir: dirname(file),
    problem,
    problems,
    where: (path) => {
      const position = locate(source.doc, source.lines, path);
      return { file, line: position?.line, column: position?.column };
    },
    allowOutsideModules: overrides.allowOutsideModules === true,
    loadModules: overrides.loadModules !== false,
  };
  for (const { entry, index } of entries) {
    const path: PathSegment[] = index === undefined ? [] : ['engines', index];
    const resolved = await resolveEngine(entry, path, sources);
    if (!resolved) continue;
    const { engine, module } = resolved;
    const options: EngineOptions = withRealOptions(
      { ...defaults, ...(typeof entry === 'string' ? {} : optionsOf(entry)) },
      defaults,
      dirname(file),
    );
    if (typeof entry !== 'string' && entry.image) checkImage(entry.image, [...path, 'image'], problem);
    if (engines.some((e) => e.engine.id === engine.id && e.engine.driver === engine.driver)) {
      problem(
        path,
        `engine "${engine.id}" (${engine.driver}) appears twice`,
        'each engine once per driver',
        'remove the duplicate entry',
      );
      continue;
    }
    engines.push({ engine, options, ...(module ? { module } : {}) });
  }

  checkSweep(
    document.sweep,
    {
      hardware,
      app: document.app,
      workload,
      density: document.density,
      options: defaults,
      storm: document.storm,
    },
    problem,
  );
  checkClaims(document, problem);
  if (problems.length > 0) throw new InputError(problems);

  return {
    file,
    name,
    description: document.description,
    hardware: hardware!,
    seed: overrides.seed ?? document.seed,
    repetitions: overrides.repetitions ?? document.repetitions,
    app: document.app,
    workload: workload!,
    density: document.density,
    ...(document.storm ? { storm: document.storm } : {}),
    engines,
    metrics: document.metrics,
    sweep: document.sweep,
    claims: document.claims,
    document,
  };
}

/** The most cells a run may have: a grid beyond it is a typo, or a study to split into several scenarios. */
export const MOST_CELLS = 1_000_000;

const counted = (n: number) => n.toLocaleString('en-US');

/** Refuses an engine selection or a sweep grid larger than a run may have, naming the count and the limit. */
function checkSize(document: ScenarioDocument, overrides: ScenarioOverrides, problem: ProblemSink): void {
  const engines = overrides.engines?.length ?? document.engines.length;
  if (overrides.engines && engines > MOST_ENGINES) {
    problem(
      [],
      `--engines names ${counted(engines)} engines, more than the ${counted(MOST_ENGINES)} a run may have`,
      `at most ${counted(MOST_ENGINES)} engines`,
      'name fewer engines',
    );
    return;
  }
  const sizes = Object.values(document.sweep).map((values) => values.length);
  const cells = sizes.reduce((product, size) => product * size, engines);
  if (cells > MOST_CELLS) {
    problem(
      ['sweep'],
      `the sweep grid expands to ${counted(cells)} cells (${[`${engines} engines`, ...sizes.map(counted)].join(' × ')}), more than the ${counted(MOST_CELLS)} a run may have`,
      `at most ${counted(MOST_CELLS)} cells`,
      'sweep fewer values, or split the study into several scenarios',
    );
  }
}

type ProblemSink = (path: PathSegment[], message: string, expected?: string, hint?: string, key?: string) => void;

/** The hardware profile a scenario names or writes inline; undefined, with a problem, for an unknown id. */
async function resolveHardware(document: ScenarioDocument, problem: ProblemSink): Promise<HardwareProfile | undefined> {
  if (typeof document.hardware !== 'string') return document.hardware;
  // `hardware: host` is this machine, probed, so the model predicts for the host real drivers measure.
  if (document.hardware === HOST_HARDWARE_ID) return detectHostHardware();
  const found = findHardware(document.hardware);
  if (!found) {
    reportUnknownId(problem, ['hardware'], {
      noun: 'hardware profile',
      id: document.hardware,
      known: hardwareIds(),
      expected: `one of ${HOST_HARDWARE_ID} (this machine, probed), ${hardwareIds().join(', ')}, or an inline profile`,
      listing: 'hardware',
    });
  }
  return found;
}

/** What an id names none of: the ids it could be, and the nearest of them or the command that lists them all. */
interface UnknownId {
  readonly noun: string;
  readonly id: string;
  readonly known: readonly string[];
  /** What was expected instead, when more than one of the known ids. */
  readonly expected?: string;
  /** What `virtbench list` lists them under. */
  readonly listing: string;
}

function reportUnknownId(problem: ProblemSink, path: PathSegment[], unknown: UnknownId): void {
  const { noun, id, known, listing } = unknown;
  problem(
    path,
    `unknown ${noun} "${excerpt(id)}"`,
    unknown.expected ?? `one of ${known.join(', ')}`,
    didYouMean(id, known) ?? `run \`virtbench list ${listing}\``,
  );
}

/** An entry's real-driver settings add to the defaults' rather than replace them; a kernel path is relative to the scenario. */
function withRealOptions(options: EngineOptions, defaults: EngineOptions, baseDir: string): EngineOptions {
  if (!options.real && !defaults.real) return options;
  const real = { ...defaults.real, ...options.real };
  if (real.kernel !== undefined && !isAbsolute(real.kernel)) real.kernel = resolve(baseDir, real.kernel);
  return { ...options, real };
}

function resolveWorkload(document: ScenarioDocument, problem: ProblemSink): Workload | undefined {
  if (typeof document.workload !== 'string') return document.workload;
  const found = findWorkload(document.workload);
  if (!found) {
    reportUnknownId(problem, ['workload'], {
      noun: 'workload',
      id: document.workload,
      known: workloadIds(),
      expected: `one of ${workloadIds().join(', ')}, or an inline workload`,
      listing: 'workloads',
    });
  }
  return found?.workload;
}

function checkImage(image: string, path: PathSegment[], problem: ProblemSink): void {
  if (!findImage(image))
    reportUnknownId(problem, path, { noun: 'image', id: image, known: imageIds(), listing: 'images' });
}

function optionsOf(entry: Exclude<EngineEntry, string>): Partial<EngineOptions> {
  const { id: _id, module: _module, profile: _profile, driver: _driver, ...options } = entry;
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function entryId(entry: EngineEntry): string | undefined {
  return typeof entry === 'string' ? entry : entry.id;
}

function selectEntries(
  entries: readonly EngineEntry[],
  only: readonly string[] | undefined,
  problems: InputProblem[],
): { entry: EngineEntry; index?: number }[] {
  const all = entries.map((entry, index) => ({ entry, index }));
  if (!only) return all;
  const selected: { entry: EngineEntry; index?: number }[] = [];
  for (const id of only) {
    const inScenario = all.find(({ entry }) => entryId(entry) === id);
    if (inScenario) selected.push(inScenario);
    else if (hasEngine(id)) selected.push({ entry: id });
    else {
      problems.push({
        location: { file: 'command line' },
        path: '--engines',
        message: `unknown engine "${excerpt(id)}"`,
        expected: `one of ${engineIds().join(', ')}`,
        hint: didYouMean(id, engineIds()) ?? 'run `virtbench list engines`',
      });
    }
  }
  return selected;
}

/** What resolving an engine entry needs: where the scenario is, where its problems go, and what it may load. */
interface EngineSources {
  readonly baseDir: string;
  readonly problem: ProblemSink;
  readonly problems: InputProblem[];
  /** The position of a path in the scenario, for problems found in a file it names. */
  readonly where: (path: PathSegment[]) => SourceLocation;
  readonly allowOutsideModules: boolean;
  readonly loadModules: boolean;
}

async function resolveEngine(
  entry: EngineEntry,
  path: PathSegment[],
  sources: EngineSources,
): Promise<{ engine: Engine; module?: string } | undefined> {
  const { problem } = sources;
  if (typeof entry !== 'string') {
    const given = [entry.id, entry.module, entry.profile].filter((s) => s !== undefined);
    if (given.length !== 1) {
      problem(
        path,
        'an engine entry needs exactly one of id, module or profile',
        'one of id, module, profile',
        'for a built-in engine write just its id',
      );
      return undefined;
    }
    if (entry.module) return loadEngineModule(entry.module, [...path, 'module'], sources);
    if (entry.profile) {
      const engine = await loadEngineProfile(entry.profile, [...path, 'profile'], sources);
      return engine && { engine };
    }
  }
  const id = entryId(entry)!;
  const driver = typeof entry === 'string' ? 'model' : entry.driver;
  if (!hasEngine(id, driver)) {
    const known = engineIds(driver);
    const other = driver === 'model' ? 'real' : 'model';
    problem(
      typeof entry === 'string' ? path : [...path, 'id'],
      `unknown ${driver} engine "${excerpt(id)}"`,
      `one of ${known.join(', ') || '(none registered)'}`,
      hasEngine(id, other)
        ? `"${id}" is a ${other} engine: write { id: ${id}, driver: ${other} }`
        : (didYouMean(id, known) ?? 'run `virtbench list engines`, or load your own with `module:` or `profile:`'),
    );
    return undefined;
  }
  return { engine: await loadEngine(id, driver) };
}

async function loadEngineModule(
  specifier: string,
  path: PathSegment[],
  sources: EngineSources,
): Promise<{ engine: Engine; module: string } | undefined> {
  const { problem } = sources;
  const checked = await checkModule(specifier, sources.baseDir, sources.allowOutsideModules);
  if ('refusal' in checked) {
    problem(path, checked.refusal.message, checked.refusal.expected, checked.refusal.hint);
    return undefined;
  }
  if (!sources.loadModules) return undefined;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(checked.target)) as Record<string, unknown>;
  } catch (error) {
    const cause = error instanceof Error ? error.message.split('\n')[0] : String(error);
    problem(
      path,
      `engine module "${excerpt(specifier)}" failed to load: ${excerpt(cause ?? '', 200)}`,
      'a path (relative to the scenario) or package name of an ES module',
      'check the path and that the module runs under `node`',
    );
    return undefined;
  }
  const candidate = loaded.default ?? loaded.engine;
  const shape = engineShapeProblems(candidate);
  if (shape.length > 0) {
    problem(
      path,
      `engine module "${excerpt(specifier)}" does not export an Engine: ${shape.join('; ')}`,
      'a default or `engine` export implementing Engine',
      'see docs/adding-an-engine.md',
    );
    return undefined;
  }
  return { engine: candidate as Engine, module: checked.target };
}

async function loadEngineProfile(
  specifier: string,
  path: PathSegment[],
  sources: EngineSources,
): Promise<Engine | undefined> {
  const { problem } = sources;
  const checked = await checkProfile(specifier, sources.baseDir, sources.allowOutsideModules);
  if ('refusal' in checked) {
    problem(path, checked.refusal.message, checked.refusal.expected, checked.refusal.hint);
    return undefined;
  }
  const file = relative(process.cwd(), checked.target);
  // Problems in the profile name the profile and, so a reader finds the entry, the scenario line that names it.
  const referencedFrom = sources.where(path);
  const problems = {
    push: (...found: InputProblem[]) => sources.problems.push(...found.map((p) => ({ ...p, referencedFrom }))),
  };
  let profileSource: ParsedSource;
  let profile: z.infer<typeof engineProfileSchema>;
  try {
    profileSource = await parseSourceFile(file, 'engine profile', 'check the path, relative to the scenario file');
    profile = validate(engineProfileSchema, profileSource);
  } catch (error) {
    if (error instanceof InputError) {
      problems.push(...error.problems);
      return undefined;
    }
    throw error;
  }
  let base: ModeledEngine | undefined;
  if (profile.base) {
    if (!hasEngine(profile.base)) {
      const position = locate(profileSource.doc, profileSource.lines, ['base']);
      problems.push({
        location: { file, line: position?.line, column: position?.column },
        path: 'base',
        message: `unknown base engine "${excerpt(profile.base)}"`,
        expected: `one of ${engineIds().join(', ')}`,
        hint: didYouMean(profile.base, engineIds()) ?? 'run `virtbench list engines`',
      });
      return undefined;
    }
    const loaded = await loadEngine(profile.base);
    if (loaded.driver !== 'model' || !('spec' in loaded)) {
      problem(path, `base engine "${profile.base}" is not a modeled engine`, 'a modeled engine id');
      return undefined;
    }
    base = loaded as ModeledEngine;
  }
  const built = buildEngineFromProfile(profile, base?.spec, specifier);
  for (const p of built.problems) {
    const segments = p.path.split('.');
    const position = locate(profileSource.doc, profileSource.lines, segments);
    problems.push({
      location: { file, line: position?.line, column: position?.column },
      path: p.path,
      message: p.message,
      hint: 'see `virtbench list engines --params` for every parameter of the built-in engines',
    });
  }
  return built.engine;
}

/** Top-level sections of a cell that a sweep may vary, with the engine's options under `options`. */
export const SWEEPABLE_ROOTS = ['hardware', 'app', 'workload', 'density', 'options', 'storm'] as const;
type SweepableRoot = (typeof SWEEPABLE_ROOTS)[number];

function isSweepableRoot(root: string): root is SweepableRoot {
  return (SWEEPABLE_ROOTS as readonly string[]).includes(root);
}

/** The sections of a cell as the scenario sets them, before any sweep point is applied. */
type SweepableSections = { readonly [Root in SweepableRoot]: unknown };

/** Each sweep path must name one field of the resolved sections, and each value must be valid there. */
function checkSweep(sweep: ScenarioDocument['sweep'], sections: SweepableSections, problem: ProblemSink): void {
  for (const [key, values] of Object.entries(sweep)) {
    const segments = key.split('.');
    const root = segments[0]!;
    if (!isSweepableRoot(root)) {
      problem(
        ['sweep'],
        `sweep parameter "${excerpt(key)}" does not start with a sweepable section`,
        `a path under ${SWEEPABLE_ROOTS.join(', ')}`,
        didYouMean(root, SWEEPABLE_ROOTS) ?? 'for example hardware.memory.gib or options.vcpus',
        key,
      );
      continue;
    }
    // A whole named workload per point: each value is a built-in workload id.
    if (key === 'workload') {
      values.forEach((value, i) => {
        if (typeof value === 'string' && findWorkload(value)) return;
        reportUnknownId(problem, ['sweep', key, i], {
          noun: 'workload',
          id: String(value),
          known: workloadIds(),
          expected: `built-in workload ids (one of ${workloadIds().join(', ')})`,
          listing: 'workloads',
        });
      });
      continue;
    }
    let node: unknown = sections;
    for (const segment of segments)
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
    if (root === 'storm' && sections.storm === undefined) {
      problem(
        ['sweep'],
        `sweep parameter "${excerpt(key)}" varies a boot storm, but the scenario has no storm: block`,
        'a storm: block such as { instances: 100 }',
        'add storm: { instances: 100 } at the top level',
        key,
      );
      continue;
    }
    if (node === undefined || (typeof node === 'object' && node !== null)) {
      problem(
        ['sweep'],
        `sweep parameter "${excerpt(key)}" names no single field`,
        'a path to a number, string or boolean field',
        'for example hardware.memory.gib or options.vcpus',
        key,
      );
      continue;
    }
    const sectionSchema = SECTION_SCHEMAS[root];
    values.forEach((value, i) => {
      if (typeof value !== typeof node) {
        problem(
          ['sweep', key, i],
          `sweep value ${excerpt(JSON.stringify(value))} has the wrong type`,
          `a ${typeof node} like the field it replaces`,
        );
        return;
      }
      // The swept value must be valid where it lands, exactly as if it were written there.
      const section = replaceAtPath(sections[root], segments.slice(1), value);
      const checked = sectionSchema.safeParse(section);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        problem(
          ['sweep', key, i],
          `sweep value ${excerpt(JSON.stringify(value))} is invalid for ${excerpt(key)}: ${issue.message}`,
          undefined,
          'the same rules apply as for the field itself',
        );
      } else if (key === 'options.image') {
        checkImage(String(value), ['sweep', key, i], problem);
      }
    });
  }
}

const SECTION_SCHEMAS: { readonly [Root in SweepableRoot]: z.ZodType } = {
  hardware: hardwareSchema,
  app: appSchema,
  workload: workloadSchema,
  density: densitySchema,
  options: optionsSchema,
  storm: stormSchema,
} as const;

function checkClaims(document: ScenarioDocument, problem: ProblemSink): void {
  document.claims.forEach((claim, c) => {
    claim.checks.forEach((check, k) => {
      const path: PathSegment[] = ['claims', c, 'checks', k];
      for (const [metric, at] of [
        [check.metric, 'metric'],
        [check.than?.metric, 'than'],
      ] as const) {
        if (metric !== undefined && !isKnownMetric(metric)) {
          problem(
            at === 'metric' ? [...path, 'metric'] : [...path, 'than', 'metric'],
            `unknown metric "${excerpt(metric)}"`,
            'a metric id such as boot_time, image_size, density, overhead_total',
            'run `virtbench list metrics`',
          );
        }
      }
      if (check.op !== 'absent' && check.value === undefined && check.than === undefined) {
        problem(
          path,
          `check with op "${check.op}" has nothing to compare with`,
          'a `value:` or a `than:` block',
          'add value: <number>',
        );
      }
    });
  });
}
