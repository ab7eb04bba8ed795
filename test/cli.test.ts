import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderScenarioJsonSchema } from '../bench/cli/commands/schema.js';
import { RESULT_SCHEMA_VERSION } from '../bench/report/results.js';
import { FAILING_CLAIM, runCli, withTempDir } from './helpers.js';

const exec = promisify(execFile);

/** Runs the installed entry point the way a user does; `npm test` builds dist/ first. */
async function virtbench(args: string[], cwd = process.cwd()) {
  if (!existsSync('dist/bundle/main.js')) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(process.cwd(), 'bin/virtbench.js'), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('virtbench run (end to end)', () => {
  it('runs the default scenario, prints the table with every claim held, and writes CSV and JSON', async () => {
    await withTempDir(async (dir) => {
      const run = await virtbench(['run', '--out', dir]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Boot time (p50)');
      expect(run.stdout).toContain('Kernel fault takes down');
      expect(run.stdout).not.toContain('✗');
      expect(run.stdout.match(/✓/g)?.length).toBe(6);
      const json = JSON.parse(await readFile(join(dir, 'seed-comparison.json'), 'utf8'));
      expect(json.schemaVersion).toBe(RESULT_SCHEMA_VERSION);
      expect(json.environment.node).toBe(process.version);
      expect(json.engines).toHaveLength(10);
      expect(json.claims.every((c: { holds: boolean }) => c.holds === true)).toBe(true);
      expect(existsSync(join(dir, 'seed-comparison.csv'))).toBe(true);
    });
  });

  it('runs from another folder, finding the bundled default scenario', async () => {
    await withTempDir(async (dir) => {
      const run = await virtbench(['run', '--quiet', '--out', 'out'], dir);
      expect(run.code).toBe(0);
      expect(existsSync(join(dir, 'out', 'seed-comparison.csv'))).toBe(true);
    });
  });

  it('honours --engines, --repetitions and --seed', async () => {
    await withTempDir(async (dir) => {
      const run = await runCli([
        'run',
        '--out',
        dir,
        '--engines',
        'docker,kvm',
        '--repetitions',
        '7',
        '--seed',
        '9',
        '--quiet',
      ]);
      expect(run.code).toBe(0);
      const json = JSON.parse(await readFile(join(dir, 'seed-comparison.engines-docker-kvm.json'), 'utf8'));
      expect(json.seed).toBe(9);
      expect(json.engines.map((e: { id: string }) => e.id)).toEqual(['docker', 'kvm']);
      expect(json.rows.find((r: { metric: string }) => r.metric === 'boot_time').n).toBe(7);
    });
  });

  it('exits 1 when a claim fails', async () => {
    await withTempDir(async (dir) => {
      const scenario = join(dir, 'claim.yaml');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(scenario, FAILING_CLAIM);
      const run = await runCli(['run', scenario, '--out', dir]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('✗ A VM boots faster than a container');
      expect(run.stderr).toContain('1 claim(s) failed: impossible');
    });
  });
});

describe('virtbench list, schema, help', () => {
  it('lists the ten modeled engines', async () => {
    const run = await runCli(['list', 'engines']);
    expect(run.code).toBe(0);
    for (const id of [
      'native',
      'docker',
      'gvisor',
      'firecracker',
      'kvm',
      'esxi',
      'xen',
      'hyperv',
      'virtualbox',
      'vmware-workstation',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^${id}\\s`, 'm'));
    }
  });

  it('lists the real drivers with the modeled engine each is compared with', async () => {
    const run = await runCli(['list', 'engines']);
    expect(run.stdout).toMatch(/^process\s+native\s+real\s+native\s/m);
    for (const id of ['namespaces', 'runc', 'docker', 'qemu'])
      expect(run.stdout).toMatch(new RegExp(`^${id}\\s+\\S+\\s+real\\s`, 'm'));
  });

  it('lists every parameter of an engine with its source', async () => {
    const run = await runCli(['list', 'engines', '--params']);
    expect(run.stdout).toMatch(/costs\.diskIoPathUs\s+21\.66\s+derived\s+felter-fio-randread-kvm/);
  });

  it('lists hardware, scenarios, metrics and images', async () => {
    expect((await runCli(['list', 'hardware'])).stdout).toContain('felter2015-x3650m4');
    expect((await runCli(['list', 'scenarios'])).stdout).toContain('scenarios/seed-comparison.yaml');
    expect((await runCli(['list', 'metrics'])).stdout).toContain('overhead_network');
    expect((await runCli(['list', 'images'])).stdout).toContain('ubuntu-24.04');
    const bad = await runCli(['list', 'engins']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('did you mean "engines"?');
  });

  it('keeps the committed JSON Schema in step with the scenario format', async () => {
    expect(await readFile('scenarios/scenario.schema.json', 'utf8')).toBe(renderScenarioJsonSchema());
  });

  it('prints help and exits 0; an unknown command exits 2', async () => {
    expect((await runCli(['--help'])).code).toBe(0);
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });
});
