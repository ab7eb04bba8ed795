import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from './helpers.js';

const EXEC_ENGINE = resolve('test/fixtures/engines/exec-engine.mjs');

async function scenarioWith(dir: string, entry: string): Promise<string> {
  const file = join(dir, 'scenario.yaml');
  await writeFile(file, `hardware: felter2015-x3650m4\nengines:\n  - docker\n  - ${entry}\nmetrics: [boot_time]\n`);
  return file;
}

function expectRefusedAt(run: { code: number; stderr: string }, where: string): void {
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(where);
  expect(run.stderr).toContain('--allow-outside-modules');
  expect(run.stderr).not.toContain('internal error');
}

describe('a scenario names modules and profiles only inside its folder, unless the user allows more', () => {
  it('refuses a module by absolute path or by .. path, and loads it with --allow-outside-modules', async () => {
    await withTempDir(async (dir) => {
      const inner = join(dir, 'inner');
      await mkdir(inner);
      await writeFile(join(dir, 'engine.mjs'), `export { default } from ${JSON.stringify(EXEC_ENGINE)};\n`);
      for (const module of [EXEC_ENGINE, '../engine.mjs']) {
        const file = await scenarioWith(inner, `module: ${JSON.stringify(module)}`);
        for (const command of ['run', 'validate']) {
          const run = await runCli(
            [command, file, '-r', '1', '--out', join(dir, 'out')].slice(0, command === 'run' ? 6 : 2),
          );
          expectRefusedAt(run, `${file}:4:13: engines[1].module: engine module`);
          expect(run.stderr).toContain("is outside the scenario's folder");
        }
        const allowed = await runCli(['validate', '--load-modules', '--allow-outside-modules', file]);
        expect(allowed.stderr).toBe('');
        expect(allowed.code).toBe(0);
      }
      expect(existsSync(join(dir, 'out'))).toBe(false);
    });
  });

  it('refuses a module reached through a symbolic link that leaves the folder, and a URL', async () => {
    await withTempDir(async (dir) => {
      const inner = join(dir, 'inner');
      await mkdir(inner);
      await symlink(EXEC_ENGINE, join(inner, 'linked.mjs'));
      let file = await scenarioWith(inner, 'module: ./linked.mjs');
      expectRefusedAt(await runCli(['validate', file]), `${file}:4:13:`);
      file = await scenarioWith(inner, 'module: "data:text/javascript,export default 1"');
      const run = await runCli(['validate', file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('is neither a path nor a package name');
    });
  });

  it('refuses profile: ../../../../etc/passwd at the scenario line, quoting none of the file', async () => {
    await withTempDir(async (dir) => {
      const file = await scenarioWith(dir, `profile: ${'../'.repeat(12)}etc/passwd`);
      const run = await runCli(['validate', file]);
      expectRefusedAt(run, `${file}:4:14: engines[1].profile: engine profile`);
      expect(run.stderr).not.toContain('root:');
      // Allowed, it is read, and the message quotes a short excerpt and names the scenario line.
      const allowed = await runCli(['validate', '--allow-outside-modules', file]);
      expect(allowed.code).toBe(2);
      expect(allowed.stderr).toContain(`named at: ${file}:4:14`);
      expect(allowed.stderr.length).toBeLessThan(600);
    });
  });

  it('accepts the bundled profiles and files beside the scenario', async () => {
    const run = await runCli(['validate', 'scenarios/calibration/scrivano2017.yaml', 'test/fixtures/plugins.yaml']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('validate checks a module path without running the module, unless --load-modules', async () => {
    await withTempDir(async (dir) => {
      const marker = join(dir, 'ran');
      await writeFile(
        join(dir, 'engine.mjs'),
        `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport { default } from ${JSON.stringify(EXEC_ENGINE)};\n`,
      );
      const file = await scenarioWith(dir, 'module: ./engine.mjs');
      const run = await runCli(['validate', file]);
      expect(run.code).toBe(0);
      expect(existsSync(marker)).toBe(false);
      const missing = await scenarioWith(dir, 'module: ./missing.mjs');
      const bad = await runCli(['validate', missing]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`${missing}:4:13: engines[1].module: engine module "./missing.mjs" not found`);
      await scenarioWith(dir, 'module: ./engine.mjs');
      expect((await runCli(['validate', '--load-modules', file])).code).toBe(0);
      expect(existsSync(marker)).toBe(true);
    });
  });

  it.each([['run'], ['validate'], ['gate'], ['compare'], ['merge'], ['baseline', 'update']])(
    '%s offers --allow-outside-modules',
    async (...command) => {
      const help = await runCli([...command, '--help']);
      expect(help.stdout).toContain('--allow-outside-modules');
    },
  );
});
