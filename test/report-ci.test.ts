import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeXml } from '../bench/report/junit.js';
import type { RunResult } from '../bench/report/results.js';
import { firmwareProfile, makeBaseline, meanOf, replaceEngine, writeVariant } from './gate-helpers.js';
import { runCli } from './helpers.js';

/** The reports other CI systems read: GitHub workflow annotations and JUnit XML. */

let dir: string;
let baseline: { path: string; result: RunResult };
let scenario: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'virtbench-ci-'));
  baseline = await makeBaseline(dir);
  const profile = await firmwareProfile(dir, 'kvm', 0.2 * meanOf(baseline.result, 'kvm', 'boot_time'));
  scenario = await writeVariant(
    dir,
    (doc) => {
      replaceEngine(doc, 'kvm', profile);
      doc.gates = {
        checks: [
          { metric: 'boot_time', kinds: ['type1'] },
          { metric: 'image_size', band: { stat: 'mean', percent: 5 } },
        ],
      };
    },
    'slow-kvm-gated.yaml',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('GitHub annotations', () => {
  it('print one ::error per failing check, on the scenario line that wrote the check', async () => {
    const run = await runCli(['gate', '--baseline', baseline.path, scenario], { GITHUB_ACTIONS: 'true' });
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    const text = await readFile(scenario, 'utf8');
    const lines = text.split('\n');
    const gatesAt = lines.findIndex((l) => l.startsWith('gates:'));
    const line = lines.findIndex((l, i) => i > gatesAt && l.includes('metric: boot_time')) + 1;
    expect(errors[0]).toMatch(
      new RegExp(
        `^::error title=virtbench gate%3A kvm boot_time,file=${scenario.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},line=${line},col=\\d+::kvm boot_time \\(mean\\): \\+\\d+\\.\\d%25 beyond 5%25 and significant`,
      ),
    );
  });

  it('stay silent outside GitHub Actions and when the gate passes', async () => {
    const outside = await runCli(['gate', '--baseline', baseline.path, scenario]);
    expect(outside.code).toBe(1);
    expect(outside.stdout).not.toContain('::error');
    const passing = await runCli(['gate', '--baseline', baseline.path], { GITHUB_ACTIONS: 'true' });
    expect(passing.code).toBe(0);
    expect(passing.stdout).not.toContain('::');
  });
});

describe('JUnit XML', () => {
  it('has one test case per check and a failure for each failing one', async () => {
    const file = join(dir, 'junit.xml');
    const run = await runCli(['gate', '--baseline', baseline.path, scenario, '--junit', file]);
    expect(run.code).toBe(1);
    const xml = await readFile(file, 'utf8');
    const checks = run.stdout.split('\n').filter((l) => /^[PF]\s{2,}/.test(l)).length;
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="virtbench gate"')).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(checks);
    expect(xml).toContain(`tests="${checks}" failures="1" errors="0"`);
    expect(xml).toMatch(
      /<testcase classname="seed-comparison\.kvm" name="boot_time \(mean\) A\/B α 0\.01, \+5%" time="0">\s*<failure message="\+\d+\.\d% beyond 5% and significant \(p [^"]+ ≤ α 0\.01\)" type="regression">baseline \S+ s, current \S+ s/,
    );
    expect(xml).toMatch(
      /<testcase classname="seed-comparison\.docker" name="image_size \(mean\) band mean 86\.5 \(baseline\) ±5%" time="0">\s*<system-out>/,
    );
    expect(xml.match(/<failure /g)).toHaveLength(1);
  });

  it('escapes markup and drops characters XML cannot hold', () => {
    expect(escapeXml(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});
