import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomically } from '../engines/shared/atomic-write.js';
import { commitStaged, StagedFile, unwrittenOnStop } from '../engines/shared/staged-file.js';
import { InterruptedError, requestStop, setStopExit, stopRequested } from '../engines/shared/stop.js';
import { withTempDir } from './helpers.js';

// This file stops its own process's work: the stop is process-wide, so it lives in a file of its own.
describe('after a stop (SIGTERM here), nothing is committed', () => {
  it('staged report files are removed at once and never renamed into place; atomic writes refuse too', async () => {
    await withTempDir(async (dir) => {
      setStopExit(() => {});
      const csv = await StagedFile.open(join(dir, 'real-host.csv'));
      const json = await StagedFile.open(join(dir, 'real-host.json'));
      await csv.write('header\n');
      await json.write('{');
      await writeFile(join(dir, 'real-host.json'), 'the earlier report\n');

      requestStop('SIGTERM');
      expect(stopRequested()).toBe('SIGTERM');
      expect(await readdir(dir)).toEqual(['real-host.json']);

      // Work still in flight reaches the commit: it is refused.
      await expect(commitStaged([csv, json])).rejects.toBeInstanceOf(InterruptedError);
      await expect(writeAtomically([{ path: join(dir, 'other.md'), content: 'x' }])).rejects.toBeInstanceOf(
        InterruptedError,
      );
      expect(existsSync(join(dir, 'real-host.csv'))).toBe(false);
      expect(await readFile(join(dir, 'real-host.json'), 'utf8')).toBe('the earlier report\n');
      expect(await readdir(dir)).toEqual(['real-host.json']);
      expect(unwrittenOnStop()).toEqual([join(dir, 'real-host.csv'), join(dir, 'real-host.json')]);
    });
  });
});
