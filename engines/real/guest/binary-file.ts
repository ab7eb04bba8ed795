import { type FileHandle, open } from 'node:fs/promises';

/**
 * Reads structured headers out of a binary file: undefined when the file cannot be opened, and
 * the handle is always closed. Probing a candidate path is not an error, so nothing throws.
 */
export async function inspectFile<T>(
  path: string,
  read: (file: FileHandle) => Promise<T | undefined>,
): Promise<T | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return await read(file);
  } finally {
    await file.close();
  }
}
