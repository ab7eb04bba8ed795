import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { asOutputError } from './errors.js';
import { removeStaleTemps, tempSiblingOf, trackTemp, untrackTemp } from './staged-file.js';
import { InterruptedError, stopRequested } from './stop.js';

export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

/**
 * Writes each file to a temporary sibling and renames it into place, so a reader never sees a
 * half-written report and an interrupted run leaves the previous report intact. A refused write
 * (a full disk) becomes an OutputError naming the file.
 */
export async function writeAtomically(files: readonly OutputFile[]): Promise<void> {
  const staged: { temp: string; path: string }[] = [];
  let current = files[0]?.path ?? '';
  try {
    for (const file of files) {
      current = file.path;
      await mkdir(dirname(file.path), { recursive: true });
      await removeStaleTemps(dirname(file.path));
      const temp = tempSiblingOf(file.path);
      staged.push({ temp, path: file.path });
      trackTemp(temp, file.path);
      await writeFile(temp, file.content, 'utf8');
    }
    for (const { temp, path } of staged) {
      if (stopRequested()) throw new InterruptedError();
      current = path;
      await rename(temp, path);
      untrackTemp(temp);
    }
  } catch (error) {
    await Promise.all(
      staged.map(({ temp }) => {
        untrackTemp(temp);
        return rm(temp, { force: true });
      }),
    );
    throw asOutputError(current, error);
  }
}
