import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * A report file written piece by piece as results arrive, into a temporary sibling that is
 * renamed into place only when every file of the run is complete. Memory stays flat however
 * large the report, a reader never sees a half-written file, and an interrupted run leaves the
 * previous report intact (Ctrl-C removes the temporary files).
 */
export class StagedFile {
  private constructor(
    readonly path: string,
    readonly temp: string,
    private readonly stream: WriteStream,
  ) {}

  static async open(path: string): Promise<StagedFile> {
    await mkdir(dirname(path), { recursive: true });
    const temp = join(dirname(path), `.${Math.random().toString(36).slice(2)}.${process.pid}.tmp`);
    const stream = createWriteStream(temp, { encoding: 'utf8', highWaterMark: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    staged.add(temp);
    watchInterrupt();
    return new StagedFile(path, temp, stream);
  }

  /** Appends text or UTF-8 bytes, waiting while the operating system catches up so buffers stay small. */
  async write(data: string | Uint8Array): Promise<void> {
    if (data.length === 0) return;
    if (!this.stream.write(data)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  /**
   * Appends bytes that must stay untouched until the operating system has them: `written` runs
   * then, and the caller may reuse the buffer.
   */
  async writeBytes(bytes: Uint8Array, written: () => void): Promise<void> {
    if (bytes.length === 0) {
      written();
      return;
    }
    if (!this.stream.write(bytes, () => written()))
      await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<void> {
    if (this.stream.closed) return;
    await new Promise<void>((resolve, reject) =>
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    staged.delete(this.temp);
    await rm(this.temp, { force: true });
  }
}

/** Closes every file and renames each into place; on any failure, no file is replaced. */
export async function commitStaged(files: readonly StagedFile[]): Promise<void> {
  try {
    for (const file of files) await file.close();
    for (const file of files) {
      await rename(file.temp, file.path);
      staged.delete(file.temp);
    }
  } catch (error) {
    await discardStaged(files);
    throw error;
  }
}

export async function discardStaged(files: readonly StagedFile[]): Promise<void> {
  await Promise.all(files.map((file) => file.discard()));
}

const staged = new Set<string>();
let watching = false;

/**
 * On Ctrl-C, remove temporary report files. When nothing else handles SIGINT, exit as the
 * default handler would; otherwise leave exiting to the handler that tears down real instances.
 */
function watchInterrupt(): void {
  if (watching) return;
  watching = true;
  const onInterrupt = (): void => {
    for (const temp of staged) rmSync(temp, { force: true });
    staged.clear();
    if (process.listenerCount('SIGINT') <= 1) {
      process.off('SIGINT', onInterrupt);
      process.exit(130);
    }
  };
  process.on('SIGINT', onInterrupt);
}
