import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliContext } from '../bench/cli/context.js';
import { main } from '../bench/cli/main.js';
import { buildCell } from '../bench/run/plan.js';
import { loadScenario, type Scenario } from '../bench/scenario/load.js';
import type { Cell } from '../engines/types.js';

export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output and no colour. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const context: CliContext = { stdout, stderr, env: { NO_COLOR: '1', ...env }, cwd: process.cwd() };
  const code = await main(argv, context);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'virtbench-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const SEED_SCENARIO = 'scenarios/seed-comparison.yaml';

let seedScenario: Promise<Scenario> | undefined;
export function loadSeedScenario(): Promise<Scenario> {
  seedScenario ??= loadScenario(SEED_SCENARIO);
  return seedScenario;
}

/** The seed scenario's cell for one engine, for model tests that vary one input at a time. */
export async function seedCell(engineId: string): Promise<Cell> {
  const scenario = await loadSeedScenario();
  const entry = scenario.engines.find((e) => e.engine.id === engineId);
  if (!entry) throw new Error(`engine ${engineId} is not in the seed scenario`);
  return buildCell(scenario, entry, {});
}

/**
 * A JSON result with its start time replaced by a marker: the one field that differs between two
 * runs of the same seed on one host and checkout.
 */
export function withoutStartTime(json: string): string {
  return json.replace(/"startedAt": "[^"]*"/, '"startedAt": "<time>"');
}

/** A scenario whose one claim cannot hold: a VM never boots faster than a container. */
export const FAILING_CLAIM = [
  'hardware: felter2015-x3650m4',
  'repetitions: 3',
  'engines: [docker, kvm]',
  'claims:',
  '  - id: impossible',
  '    text: A VM boots faster than a container',
  '    checks:',
  '      - { metric: boot_time, kinds: [type1], op: "<", than: { kinds: [container] } }',
].join('\n');
