import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCleanup } from './cleanup.js';
import { REAL_RUN_ID } from './spawn.js';

/** Every temporary directory of a real run starts with this and the run's id, so a leak check can find them. */
export const TEMP_PREFIX = 'virtbench-real-';

export interface TempDir {
  readonly path: string;
  /** Removes the directory now. */
  release(): void;
}

/** A fresh directory under the system temp dir, removed at teardown whatever happens. */
export async function makeTempDir(purpose: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${REAL_RUN_ID}-${purpose}-`));
  const handle = registerCleanup(`directory ${path}`, () =>
    rmSync(path, { recursive: true, force: true, maxRetries: 3 }),
  );
  return { path, release: () => handle.release() };
}
