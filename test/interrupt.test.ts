import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from './helpers.js';

/** Starts the built CLI the way a user does; `npm test` builds dist/ first. */
function start(args: string[], options: { shell?: string } = {}): { child: ChildProcess; done: Promise<Ended> } {
  if (!existsSync('dist/bundle/main.js')) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  const command = [process.execPath, join(process.cwd(), 'bin/virtbench.js'), ...args];
  const child = options.shell
    ? spawn('bash', ['-c', `${options.shell}; exec "$@"`, 'bash', ...command], {
        env: { ...process.env, NO_COLOR: '1' },
      })
    : spawn(command[0]!, command.slice(1), { env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<Ended>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A model run that takes several seconds, so a signal lands while it writes its reports. */
const SLOW_RUN = ['run', 'scenarios/boot-storm.yaml', '--repetitions', '20000', '--quiet'];

async function interrupt(signal: NodeJS.Signals, out: string): Promise<Ended> {
  const { child, done } = start([...SLOW_RUN, '--out', out]);
  // Wait until the run has opened its temporary report files, then stop it.
  for (let waited = 0; waited < 20_000; waited += 50) {
    if ((await readdir(out).catch(() => [])).some((name) => name.endsWith('.tmp'))) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill(signal);
  return done;
}

describe('a run stopped by a signal', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: exits ${code} with one line saying what was stopped and kept, and leaves no file behind`, async () => {
      await withTempDir(async (out) => {
        await writeFile(join(out, 'boot-storm.csv'), 'the previous report\n');
        const ended = await interrupt(signal, out);
        expect(ended.code).toBe(code);
        expect(ended.stderr).not.toContain('internal error');
        const lines = ended.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`${signal} stopped \`virtbench run scenarios/boot-storm.yaml\``);
        expect(lines[0]).toContain('not written (earlier versions kept)');
        // Neither temporary files nor a new report: the earlier report is untouched.
        expect((await readdir(out)).sort()).toEqual(['boot-storm.csv']);
      });
    }, 60_000);
  }
});

describe('stale temporary files', () => {
  it('a run removes the temporary files of earlier runs whose process is gone, and keeps live ones', async () => {
    await withTempDir(async (out) => {
      const gone = Number(execFileSync('bash', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
      await writeFile(join(out, `.abc123.${gone}.tmp`), 'left by a killed run');
      await writeFile(join(out, `.def456.${process.pid}.tmp`), 'a run still going');
      const ended = await start(['run', '--quiet', '--engines', 'docker', '--out', out]).done;
      expect(ended.code).toBe(0);
      const names = await readdir(out);
      expect(names).not.toContain(`.abc123.${gone}.tmp`);
      expect(names).toContain(`.def456.${process.pid}.tmp`);
    });
  }, 60_000);
});

describe('an output that cannot be written', () => {
  it('names the file and exits 3, leaving nothing half-written', async () => {
    await withTempDir(async (out) => {
      // A file-size limit makes the report write fail as a full disk would.
      const ended = await start(['run', 'scenarios/boot-storm.yaml', '--quiet', '--out', out], {
        shell: 'ulimit -f 16',
      }).done;
      expect(ended.code).toBe(3);
      expect(ended.stderr).toMatch(
        /^virtbench: could not write .*boot-storm\.(csv|json): file too large .*\(EFBIG\)$/m,
      );
      expect(ended.stderr).not.toContain('internal error');
      expect(await readdir(out)).toEqual([]);
    });
  }, 60_000);
});
