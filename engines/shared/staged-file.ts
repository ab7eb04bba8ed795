import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { asOutputError } from './errors.js';
import { processAlive } from './process-alive.js';
import { InterruptedError, onStop, stopRequested } from './stop.js';

/**
 * A report file written piece by piece as results arrive, into a temporary sibling that is
 * renamed into place only when every file of the run is complete. Memory stays flat however
 * large the report, a reader never sees a half-written file, and an interrupted run leaves the
 * previous report intact: Ctrl-C and SIGTERM alike remove the temporary files, and nothing is
 * renamed into place after a stop.
 */
export class StagedFile {
  /** The first error the stream reported; later writes rethrow it, naming the file. */
  private failure: unknown;

  private constructor(
    readonly path: string,
    readonly temp: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  static async open(path: string): Promise<StagedFile> {
    const temp = tempSiblingOf(path);
    try {
      await mkdir(dirname(path), { recursive: true });
      await removeStaleTemps(dirname(path));
      const stream = createWriteStream(temp, { encoding: 'utf8', highWaterMark: 1 << 20 });
      trackTemp(temp, path);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      });
      // A stop that arrived while the file was being created found nothing to remove yet.
      if (stopRequested()) {
        stream.destroy();
        throw new InterruptedError();
      }
      return new StagedFile(path, temp, stream);
    } catch (error) {
      untrackTemp(temp);
      rmSync(temp, { force: true });
      throw asOutputError(path, error);
    }
  }

  /** Appends text or UTF-8 bytes, waiting while the operating system catches up so buffers stay small. */
  async write(data: string | Uint8Array): Promise<void> {
    this.throwIfFailed();
    if (data.length === 0) return;
    if (!this.stream.write(data)) await this.drained();
  }

  /**
   * Appends bytes that must stay untouched until the operating system has them: `written` runs
   * then, and the caller may reuse the buffer.
   */
  async writeBytes(bytes: Uint8Array, written: () => void): Promise<void> {
    this.throwIfFailed();
    if (bytes.length === 0) {
      written();
      return;
    }
    if (!this.stream.write(bytes, () => written())) await this.drained();
  }

  async close(): Promise<void> {
    this.throwIfFailed();
    if (this.stream.closed) return;
    await new Promise<void>((resolve, reject) =>
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    ).catch((error: unknown) => {
      throw asOutputError(this.path, this.failure ?? error);
    });
    this.throwIfFailed();
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    untrackTemp(this.temp);
    await rm(this.temp, { force: true });
  }

  /** Resolves when the stream wants more, and rejects if it failed instead (a full disk never drains). */
  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (error: unknown): void => {
        this.stream.off('drain', onDrain);
        reject(asOutputError(this.path, error));
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw asOutputError(this.path, this.failure);
  }
}

/**
 * Closes every file and renames each into place; on any failure, or once a stop was requested,
 * no file is replaced.
 */
export async function commitStaged(files: readonly StagedFile[]): Promise<void> {
  try {
    for (const file of files) await file.close();
    for (const file of files) {
      if (stopRequested()) throw new InterruptedError();
      await rename(file.temp, file.path).catch((error: unknown) => {
        throw asOutputError(file.path, error);
      });
      untrackTemp(file.temp);
    }
  } catch (error) {
    await discardStaged(files);
    throw error;
  }
}

export async function discardStaged(files: readonly StagedFile[]): Promise<void> {
  await Promise.all(files.map((file) => file.discard()));
}

/**
 * A temporary sibling of `path`, in the same folder so it can be renamed into place. The name
 * carries this process's id, so a later run can tell a temporary file whose owner is gone.
 */
export function tempSiblingOf(path: string): string {
  return join(dirname(path), `.${Math.random().toString(36).slice(2)}.${process.pid}.tmp`);
}

const TEMP_NAME = /^\.[0-9a-z]+\.(\d+)\.tmp$/;

const swept = new Set<string>();

/**
 * Removes the temporary files that earlier runs left in `dir` when they were killed outright
 * (`kill -9`, a power cut): those whose owning process is no longer alive. Once per folder.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  if (swept.has(dir)) return [];
  swept.add(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(TEMP_NAME.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    await rm(join(dir, name), { force: true }).then(
      () => removed.push(name),
      () => {},
    );
  }
  return removed;
}

/** Temporary files that exist now, with the file each will become. */
const staged = new Map<string, string>();
/** The files a stop kept from being written, for the line that reports the stop. */
const unwritten: string[] = [];

export function trackTemp(temp: string, path: string): void {
  staged.set(temp, path);
  if (staged.size === 1) watchStop();
}

export function untrackTemp(temp: string): void {
  staged.delete(temp);
}

/** The files a stop kept from being written: their earlier versions, if any, are untouched. */
export function unwrittenOnStop(): readonly string[] {
  return unwritten;
}

let watching = false;

/**
 * On a stop, remove every temporary file at once: teardown may not get another chance. A file
 * the operating system was still creating may appear after that, so they are removed once more
 * as the process exits.
 */
function watchStop(): void {
  if (watching) return;
  watching = true;
  onStop(() => {
    const doomed = [...staged];
    for (const [temp, path] of doomed) {
      rmSync(temp, { force: true });
      unwritten.push(path);
    }
    process.once('exit', () => {
      for (const [temp] of [...doomed, ...staged]) rmSync(temp, { force: true });
    });
  });
}
