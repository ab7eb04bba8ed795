import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderModelVsReal } from '../bench/report/model-vs-real.js';
import type { RunResult } from '../bench/report/results.js';
import { makeBaseline, meanOf, writeVariant } from './gate-helpers.js';
import { FAILING_CLAIM, runCli, withTempDir } from './helpers.js';

let dir: string;
let baseline: { path: string; result: RunResult };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'virtbench-behaviour-'));
  baseline = await makeBaseline(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--quiet silences progress and tables, never the reasons for a failure', () => {
  it('run --quiet prints the failed claim, its text and evidence on stderr', async () => {
    await withTempDir(async (out) => {
      const scenario = join(out, 'claim.yaml');
      await writeFile(scenario, FAILING_CLAIM);
      const run = await runCli(['run', scenario, '--out', out, '--quiet']);
      expect(run.code).toBe(1);
      expect(run.stdout).not.toContain('Boot time');
      expect(run.stderr).toContain('1 claim(s) failed: impossible');
      expect(run.stderr).toContain('✗ impossible: A VM boots faster than a container');
      expect(run.stderr).toMatch(/\n {4}\S/);
    });
  });

  it('gate --quiet prints no table but each failed check and its verdict on stderr', async () => {
    const image = meanOf(baseline.result, 'docker', 'image_size');
    const app = baseline.result.rows.find((r) => r.engine === 'native' && r.metric === 'image_size')!.mean;
    const scenario = await writeVariant(dir, (doc) => {
      doc.app.sizeMiB = app + 0.2 * image;
    });
    // A bigger application is another scenario: --force gates it anyway.
    const run = await runCli(['gate', '--baseline', baseline.path, scenario, '--quiet', '--force']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^gate failed: \d+ of \d+ checks$/m);
    expect(run.stderr).toMatch(/^✗ docker image_size: \+20\.0% beyond 5% and exact \(no noise\)$/m);
  });

  it('compare --quiet prints no table', async () => {
    const run = await runCli(['compare', baseline.path, baseline.path, '--quiet']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect((await runCli(['compare', baseline.path, baseline.path])).stdout).toContain('as a gate');
  });
});

describe('a gate that would check nothing is refused', () => {
  it('--metrics with no metric exits 2 with a hint', async () => {
    const run = await runCli(['gate', '--baseline', baseline.path, '--current', baseline.path, '--metrics', ',']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no checks to run');
    expect(run.stderr).toContain('hint: name metrics');
  });

  it('a baseline with no rows exits 2 with a hint', async () => {
    const empty = join(dir, 'empty.json');
    await writeFile(empty, JSON.stringify({ ...baseline.result, rows: [] }));
    const run = await runCli(['gate', '--baseline', empty, '--current', baseline.path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no checks to run: the checks match none of the baseline's 0 rows");
    expect(run.stderr).toContain('virtbench baseline update');
    expect(run.stdout).not.toContain('gate passed');
  });
});

describe('baseline update --from', () => {
  it('never turns the scenario name inside a results file into a path outside the baseline folder', async () => {
    await withTempDir(async (work) => {
      const crafted = join(work, 'crafted.json');
      const result = JSON.parse(await readFile(baseline.path, 'utf8'));
      result.scenario.name = '../../escaped';
      await writeFile(crafted, JSON.stringify(result));
      const run = await runCli(['baseline', 'update', '--from', crafted, '--dir', join(work, 'a', 'b', 'baselines')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('is not a plain file name');
      expect(run.stderr).toContain(crafted);
      expect(existsSync(join(work, 'a', 'escaped.json'))).toBe(false);
      expect(existsSync(join(work, 'a', 'b', 'baselines'))).toBe(false);
    });
  });
});

describe('run --engines', () => {
  it('refuses an empty selection with exit 2, writing nothing', async () => {
    await withTempDir(async (out) => {
      for (const empty of ['', ',', ' , ']) {
        const run = await runCli(['run', '--engines', empty, '--out', out, '--quiet']);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain('names no engine');
      }
      expect(await readdir(out)).toEqual([]);
    });
  });

  it("names a filtered run's files after its engines, leaving the full run's report alone", async () => {
    await withTempDir(async (out) => {
      await writeFile(join(out, 'seed-comparison.json'), 'the full run\n');
      const run = await runCli(['run', '--engines', 'kvm,docker', '--out', out, '--quiet']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('seed-comparison.engines-kvm-docker.csv');
      expect(await readFile(join(out, 'seed-comparison.json'), 'utf8')).toBe('the full run\n');
      expect((await readdir(out)).sort()).toEqual([
        'seed-comparison.engines-kvm-docker.csv',
        'seed-comparison.engines-kvm-docker.json',
        'seed-comparison.json',
      ]);
    });
  });
});

const exec = promisify(execFile);
const CLI = join(process.cwd(), 'bin/virtbench.js');

describe('Ctrl-C stops a long comparison promptly', () => {
  it('compare on large results exits 130 within a second of SIGINT, with one line', async () => {
    if (!existsSync('dist/bundle/main.js')) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
    await withTempDir(async (work) => {
      // Two runs with different seeds: every check resamples thousands of samples.
      for (const seed of ['1', '2'])
        await exec(process.execPath, [
          CLI,
          'run',
          '--engines',
          'docker,kvm,xen',
          '-r',
          '3000',
          '--seed',
          seed,
          '--quiet',
          '--out',
          join(work, seed),
        ]);
      const file = (seed: string) => join(work, seed, 'seed-comparison.engines-docker-kvm-xen.json');
      const child = spawn(
        process.execPath,
        [CLI, 'compare', file('1'), file('2'), '--metrics', 'all', '--resamples', '200000'],
        {
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const sent = performance.now();
      child.kill('SIGINT');
      const code = await ended;
      expect(performance.now() - sent).toBeLessThan(1500);
      expect(code).toBe(130);
      expect(stdout).toBe('');
      expect(stderr.trim()).toMatch(/^virtbench: SIGINT stopped `virtbench compare \S+`: no file half-written;/);
    });
  }, 120_000);
});

/** The built CLI with its exit code and both outputs, run through bash so a pipe can close early. */
async function shell(script: string, cwd = process.cwd()): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync('dist/bundle/main.js')) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  try {
    const { stdout, stderr } = await exec('bash', ['-c', script], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', VIRTBENCH: `${process.execPath} ${CLI}` },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Exits with the status of the first command of the pipeline, not head's. */
const PIPE_STATUS = 'exit "$' + '{PIPESTATUS[0]}"';

describe('commands do what the README says', () => {
  it('with no arguments prints the usage on stderr and exits 2', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Usage: virtbench');
  });

  it('-v and --version print the version', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8'));
    for (const flag of ['-v', '--version', '-V']) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  it('a reader that closes the pipe early (| head) changes nothing: no error, the exit code is the command’s own', async () => {
    const listed = await shell(`$VIRTBENCH list engines --params | head -1; ${PIPE_STATUS}`);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    await withTempDir(async (out) => {
      const run = await shell(`$VIRTBENCH run --out ${out} | head -1; ${PIPE_STATUS}`);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(existsSync(join(out, 'seed-comparison.json'))).toBe(true);
    });
  }, 60_000);

  it('list scenarios lists scenarios only, by paths that run accepts from the folder it was asked in', async () => {
    const here = await runCli(['list', 'scenarios']);
    expect(here.stdout).toMatch(/^scenarios\/seed-comparison\.yaml\s/m);
    expect(here.stdout).not.toContain('profiles/');
    await withTempDir(async (elsewhere) => {
      const listed = await shell('$VIRTBENCH list scenarios', elsewhere);
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toContain('profiles/');
      const density = listed.stdout.split('\n').find((line) => line.includes('density-sweep.yaml'))!;
      const path = density.split(/\s{2,}/)[0]!;
      const validated = await shell(`$VIRTBENCH validate ${path}`, elsewhere);
      expect(validated.stderr).toBe('');
      expect(validated.code).toBe(0);
    });
  }, 60_000);
});

describe('the hint beside a real driver without its model', () => {
  const result = (counterpart: string) =>
    ({
      hardware: { id: 'host' },
      engines: [{ id: 'runc', title: 'real', kind: 'container', driver: 'real', modeledCounterpart: counterpart }],
      rows: [{ engine: 'runc', driver: 'real', metric: 'boot_time', params: {}, p50: 5, unit: 'ms' }],
    }) as unknown as RunResult;

  it('names a built-in counterpart by id, and says a profile counterpart needs its file', () => {
    expect(renderModelVsReal(result('docker'), { color: false })).toContain(`add "- docker" to the scenario's engines`);
    const profile = renderModelVsReal(result('namespaces'), { color: false });
    expect(profile).toContain('"namespaces" is an engine profile, not a built-in engine: add "- profile:');
    expect(profile).not.toContain('add it to the scenario');
  });
});

describe('run --out must be a folder virtbench can write in', () => {
  it('refuses a file, and a folder where no file can be created, before running anything (exit 2)', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'not-a-folder');
      await writeFile(file, 'kept\n');
      for (const [out, reason] of [
        [file, 'is not a folder'],
        ['/proc', 'no file can be created in it'],
      ] as const) {
        const run = await runCli(['run', '--out', out, '--quiet']);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain(`--out ${out}: ${reason}`);
        expect(run.stderr).not.toContain('internal error');
      }
      expect(await readFile(file, 'utf8')).toBe('kept\n');
    });
  });
});
