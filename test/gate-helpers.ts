import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { RunResult } from '../bench/report/results.js';
import type { ModeledEngine } from '../engines/modeled/define.js';
import { loadEngine } from '../engines/registry.js';
import { runCli, SEED_SCENARIO } from './helpers.js';

/**
 * Scenario variants for gate tests. Regressions are made the way they happen: a bigger
 * application in the scenario, an engine profile with slower firmware. Nothing edits a result.
 */

export type ScenarioDoc = Record<string, unknown> & { engines: unknown[]; app: Record<string, unknown> };

export async function seedDocument(): Promise<ScenarioDoc> {
  return parse(await readFile(SEED_SCENARIO, 'utf8')) as ScenarioDoc;
}

/** Writes a variant of the seed scenario (same name, so rows match the baseline) into `dir`. */
export async function writeVariant(
  dir: string,
  mutate: (doc: ScenarioDoc) => void,
  file = 'seed-comparison.yaml',
): Promise<string> {
  const doc = await seedDocument();
  mutate(doc);
  const path = join(dir, file);
  await writeFile(path, stringify(doc));
  return path;
}

/** Writes the baseline of the seed scenario into dir/baselines and returns its path and content. */
export async function makeBaseline(dir: string, extra: string[] = []): Promise<{ path: string; result: RunResult }> {
  const run = await runCli(['baseline', 'update', '--dir', join(dir, 'baselines'), ...extra]);
  if (run.code !== 0) throw new Error(`baseline update failed: ${run.stderr}`);
  const path = join(dir, 'baselines', 'seed-comparison.json');
  return { path, result: JSON.parse(await readFile(path, 'utf8')) as RunResult };
}

export function meanOf(result: RunResult, engine: string, metric: string): number {
  const row = result.rows.find((r) => r.engine === engine && r.metric === metric && Object.keys(r.params).length === 0);
  if (!row) throw new Error(`no ${engine} ${metric} row`);
  return row.mean;
}

/**
 * An engine profile for `engine` whose firmware POST takes `extraMs` longer (or shorter, when
 * negative), and the scenario entry that uses it in place of the built-in engine.
 */
export async function firmwareProfile(
  dir: string,
  engine: string,
  extraMs: number,
  overrides: Record<string, number> = {},
): Promise<{ profile: string }> {
  const spec = ((await loadEngine(engine)) as ModeledEngine).spec;
  const boot = spec.boot as unknown as Record<string, { value: number }>;
  const firmwareMs = boot.firmwareMs!.value + extraMs;
  if (firmwareMs < 0) throw new Error(`firmware of ${engine} cannot shrink by ${-extraMs} ms`);
  const file = join(dir, `${engine}-firmware.yaml`);
  const bootOverrides = {
    firmwareMs: {
      value: firmwareMs,
      source: 'gate test: a firmware update that changes POST time',
      verified: 'assumed',
    },
    ...Object.fromEntries(
      Object.entries(overrides).map(([key, value]) => [key, { value, source: 'gate test', verified: 'assumed' }]),
    ),
  };
  await writeFile(file, stringify({ id: engine, base: engine, boot: bootOverrides }));
  return { profile: `./${engine}-firmware.yaml` };
}

/** Replaces an engine entry of the scenario (a bare id or an object with that id). */
export function replaceEngine(doc: ScenarioDoc, id: string, entry: unknown): void {
  const index = doc.engines.findIndex(
    (e) => e === id || (typeof e === 'object' && e !== null && (e as { id?: string }).id === id),
  );
  if (index < 0) throw new Error(`engine ${id} not in the scenario`);
  const previous = doc.engines[index];
  const options = typeof previous === 'object' && previous !== null ? { ...(previous as Record<string, unknown>) } : {};
  delete options.id;
  doc.engines[index] = { ...options, ...(entry as object) };
}
