import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

/**
 * Writes each file to a temporary sibling and renames it into place, so a reader never sees a
 * half-written report and an interrupted run leaves the previous report intact.
 */
export async function writeAtomically(files: readonly OutputFile[]): Promise<void> {
  const staged: { temp: string; path: string }[] = [];
  try {
    for (const file of files) {
      await mkdir(dirname(file.path), { recursive: true });
      const temp = join(dirname(file.path), `.${Math.random().toString(36).slice(2)}.${process.pid}.tmp`);
      staged.push({ temp, path: file.path });
      await writeFile(temp, file.content, 'utf8');
    }
    for (const { temp, path } of staged) await rename(temp, path);
  } catch (error) {
    await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
    throw error;
  }
}
