import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCell, planCells } from '../bench/run/plan.js';
import { loadScenario } from '../bench/scenario/load.js';
import { detectHostHardware } from '../engines/real/host/hardware.js';
import { InputError } from '../engines/shared/errors.js';
import { runCli, withTempDir } from './helpers.js';

const fixture = (name: string) => join('test/fixtures', name);

async function problemsOf(name: string) {
  try {
    await loadScenario(fixture(name));
  } catch (error) {
    if (error instanceof InputError) return error.problems;
    throw error;
  }
  throw new Error(`${name} loaded without errors`);
}

describe('scenario validation', () => {
  it('locates an unknown key and suggests the intended one', async () => {
    const [problem] = await problemsOf('typo-key.yaml');
    expect(problem).toMatchObject({
      location: { file: fixture('typo-key.yaml'), line: 2, column: 1 },
      path: 'repetitons',
      message: 'unknown key "repetitons"',
      hint: 'did you mean "repetitions"?',
    });
  });

  it('locates a wrong type by field path inside a list', async () => {
    const [problem] = await problemsOf('wrong-type.yaml');
    expect(problem).toMatchObject({
      location: { line: 5, column: 16 },
      path: 'engines[1].memoryMiB',
      message: 'found the string "lots"',
      expected: 'a number',
    });
  });

  it('reports YAML syntax errors with their position', async () => {
    const problems = await problemsOf('bad-syntax.yaml');
    expect(problems[0]!.location.line).toBeGreaterThanOrEqual(2);
    expect(problems[0]!.message).toMatch(/YAML syntax error/);
  });

  it('suggests a known engine for a mistyped id', async () => {
    const [problem] = await problemsOf('unknown-engine.yaml');
    expect(problem).toMatchObject({
      location: { line: 4, column: 5 },
      path: 'engines[1]',
      hint: 'did you mean "kvm"?',
    });
  });

  it('suggests a known hardware profile', async () => {
    const [problem] = await problemsOf('unknown-hardware.yaml');
    expect(problem).toMatchObject({ path: 'hardware', hint: 'did you mean "felter2015-x3650m4"?' });
    expect(problem!.expected).toContain('felter2015-x3650m4');
  });

  it('says which required field is missing', async () => {
    const [problem] = await problemsOf('missing-engines.yaml');
    expect(problem).toMatchObject({ path: 'engines', message: 'required field is missing', expected: 'a list' });
  });

  it('suggests keys in nested maps', async () => {
    const [problem] = await problemsOf('nested-typo.yaml');
    expect(problem).toMatchObject({
      path: 'density.targetCpuUtilisation',
      location: { line: 4, column: 3 },
      hint: 'did you mean "targetCpuUtilization"?',
    });
  });

  it('rejects a sweep path that names no field', async () => {
    const [problem] = await problemsOf('bad-sweep.yaml');
    expect(problem).toMatchObject({ path: 'sweep.hardware.memory.gibs', location: { line: 4, column: 3 } });
  });

  it('reports a missing file without a stack trace', async () => {
    const [problem] = await problemsOf('no-such-file.yaml');
    expect(problem).toMatchObject({ message: 'file not found' });
  });
});

describe('the CLI on bad input', () => {
  it('exits 2, prints file:line:column and the field path, and writes nothing', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'out');
      const run = await runCli(['run', fixture('wrong-type.yaml'), '--out', out]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${fixture('wrong-type.yaml')}:5:16: engines[1].memoryMiB:`);
      expect(run.stderr).toContain('expected: a number');
      expect(run.stderr).toContain('hint:');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    });
  });

  it('exits 2 for an unknown --engines id', async () => {
    const run = await runCli(['validate', fixture('plugins.yaml')]);
    expect(run.code).toBe(0);
    const bad = await runCli(['run', '--engines', 'docker,kvn', '--out', '/nonexistent/never-written']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('did you mean "kvm"?');
  });

  it('exits 2 for a malformed flag value', async () => {
    const run = await runCli(['run', '--repetitions', 'many']);
    expect(run.code).toBe(2);
  });

  it('validate exits 2 when any file is invalid', async () => {
    const run = await runCli(['validate', 'scenarios/seed-comparison.yaml', fixture('typo-key.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('ok scenarios/seed-comparison.yaml');
    expect(run.stderr).toContain('typo-key.yaml:2:1: repetitons: unknown key');
  });
});

describe('sweep values', () => {
  it('are validated as if written in place', async () => {
    const [problem] = await problemsOf('invalid-sweep-value.yaml');
    expect(problem).toMatchObject({ path: 'sweep.hardware.memory.gib[1]', location: { line: 4, column: 29 } });
    expect(problem!.message).toContain('-8');
  });

  // Probing the host measures memory, storage and network, which takes seconds on a busy machine.
  it('vary the probed host profile when the scenario runs on `hardware: host`', async () => {
    const host = await detectHostHardware();
    const scenario = await loadScenario(fixture('host-sweep.yaml'));
    expect(scenario.hardware).toEqual(host);
    const cells = planCells(scenario).map((plan) =>
      buildCell(scenario, scenario.engines[plan.engineIndex]!, plan.point),
    );
    expect(cells.map((cell) => cell.hardware.cpu.ghz)).toEqual([2, 2, 3, 3]);
    for (const cell of cells) {
      expect({ ...cell.hardware, cpu: { ...cell.hardware.cpu, ghz: host.cpu.ghz } }).toEqual(host);
    }

    const [problem] = await problemsOf('host-sweep-invalid.yaml');
    expect(problem).toMatchObject({ path: 'sweep.hardware.cpu.ghz[1]', location: { line: 4, column: 25 } });
    expect(problem!.message).toContain('-3');
  }, 120_000);
});

/** Writes `text` as a scenario in a temp dir and validates it through the CLI. */
async function validateText(text: string, name = 'scenario.yaml') {
  return withTempDir(async (dir) => {
    const file = join(dir, name);
    await writeFile(file, text);
    const run = await runCli(['validate', file]);
    return { ...run, file };
  });
}

const HEAD = 'hardware: felter2015-x3650m4\n';

describe('malformed YAML is bad input, located, one message per mistake', () => {
  it('an alias to no anchor', async () => {
    const run = await validateText(`${HEAD}engines: [*nope]\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${run.file}:2:11: alias *nope names no anchor before it`);
  });

  it('an alias bomb (billion laughs)', async () => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [i, name] of [...'bcdefgh'].entries()) {
      const previous = 'abcdefgh'[i]!;
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const run = await validateText(`${levels.join('\n')}\n${HEAD}engines: [docker]\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/scenario\.yaml:2:\d+: aliases expand to too much data \(more than 100 expansions\)/);
  });

  it('a merge key', async () => {
    const run = await validateText(`${HEAD}defaults: &d { memoryMiB: 512 }\nengines:\n  - { <<: *d, id: docker }\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${run.file}:4:7: merge keys (<<) are not supported`);
    expect(run.stderr.match(/^error:/gm)).toHaveLength(1);
  });

  it('a !!binary tag', async () => {
    const run = await validateText(
      'hardware: !!binary R0lGODlhDAAMAIQAAP//9/X17unp5WZmZgAAAOfn515eXvPz7Y6O\nengines: [docker]\n',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${run.file}:1:20: tag !!binary is not supported`);
    expect(run.stderr.match(/^error:/gm)).toHaveLength(1);
  });

  it('a key that is a list', async () => {
    const run = await validateText(`${HEAD}engines: [docker]\n? [a, b]\n: 1\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${run.file}:3:3: a key must be a plain name`);
  });

  it('20,000 levels of nesting', async () => {
    const run = await validateText(`${HEAD}engines: [docker]\nx: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${run.file}:3:`);
    expect(run.stderr).toContain('too deeply nested: more than 64 levels');
    expect(run.stderr).not.toContain('call stack');
  });

  it('quotes a short excerpt of a long value, never all of it', async () => {
    const long = 'x'.repeat(5000);
    const run = await validateText(`${HEAD}engines: [docker]\ndescription: [${long}]\n${long}: 1\n`);
    expect(run.code).toBe(2);
    expect(run.stderr.length).toBeLessThan(1500);
  });
});
