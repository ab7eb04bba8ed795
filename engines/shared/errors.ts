import { open } from 'node:fs/promises';

/**
 * Exit codes every command shares: 1 only ever means a claim or gate check failed. A stop by a
 * signal exits 130 (SIGINT) or 143 (SIGTERM), see stop.ts.
 */
export const EXIT = { ok: 0, failed: 1, badInput: 2, writeFailed: 3 } as const;

/** Why the operating system refused a write, in words, for the errors a user can do something about. */
const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * An output could not be written — a full disk, a read-only folder. Neither a failed claim nor
 * bad input: the CLI names the file and exits 3, and nothing half-written is left in place.
 */
export class OutputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not write ${file}: ${reason}`, options);
    this.name = 'OutputError';
  }
}

/** The error code of a failed system call, if `error` is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `error` is a refused write a user can act on (full disk, permissions), not a bug. */
export function isWriteFailure(error: unknown): boolean {
  const code = errnoCode(error);
  return code !== undefined && code in WRITE_FAILURES;
}

/** Whether `error` says the storage itself is full or read-only, rather than that something is missing. */
export function isStorageFull(error: unknown): boolean {
  return ['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS'].includes(errnoCode(error) ?? '');
}

/** `error`, from writing `file`, as an OutputError when it is a refused write; otherwise unchanged. */
export function asOutputError(file: string, error: unknown): unknown {
  if (error instanceof OutputError || !isWriteFailure(error)) return error;
  const code = errnoCode(error)!;
  return new OutputError(file, `${WRITE_FAILURES[code]} (${code})`, { cause: error });
}

export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** One problem with the user's input, located as precisely as the input allows. */
export interface InputProblem {
  readonly location: SourceLocation;
  /** Field path such as engines[1].memoryMiB; empty for the document itself. */
  readonly path: string;
  readonly message: string;
  readonly expected?: string;
  readonly hint?: string;
  /** For a problem in a file that another names (an engine profile), where that file is named. */
  readonly referencedFrom?: SourceLocation;
}

/**
 * Bad input: an invalid scenario, an unknown engine, a wrong flag. The CLI prints it without a
 * stack trace and exits 2, before anything is written.
 */
export class InputError extends Error {
  readonly problems: readonly InputProblem[];
  constructor(problems: readonly InputProblem[] | InputProblem, options?: { cause?: unknown }) {
    const list = Array.isArray(problems) ? problems : [problems as InputProblem];
    super(list.map(formatProblem).join('\n'), options);
    this.name = 'InputError';
    this.problems = list;
  }
}

export function formatLocation(location: SourceLocation): string {
  if (location.line === undefined) return location.file;
  return `${location.file}:${location.line}:${location.column ?? 1}`;
}

export function formatProblem(problem: InputProblem): string {
  const where = formatLocation(problem.location);
  const field = problem.path ? ` ${problem.path}:` : '';
  let text = `${where}:${field} ${problem.message}`;
  if (problem.expected) text += `\n  expected: ${problem.expected}`;
  if (problem.hint) text += `\n  hint: ${problem.hint}`;
  if (problem.referencedFrom) text += `\n  named at: ${formatLocation(problem.referencedFrom)}`;
  return text;
}

/**
 * At most `limit` characters of text the user gave, with control characters escaped: a message
 * quotes enough of a value to recognise it, never a whole file that a path pointed at.
 */
export function excerpt(text: string, limit = 60): string {
  const short = text.length > limit ? `${text.slice(0, limit)}…` : text;
  return short.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A problem that is not tied to a file position, such as a bad command-line flag. */
export function usageError(message: string, hint?: string): InputError {
  return new InputError({ location: { file: 'command line' }, path: '', message, hint });
}

/** The largest input file read unless a caller allows more: far above any scenario or profile. */
export const MOST_INPUT_BYTES = 16 * 1024 * 1024;

/**
 * Reads a file the user named; a missing, unreadable or too large one is bad input (exit 2), with
 * a hint. It reads in chunks up to the limit, so a device such as /dev/zero is refused, not
 * read until memory runs out.
 */
export async function readInputFile(
  file: string,
  what: string,
  missingHint: string,
  mostBytes = MOST_INPUT_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const handle = await open(file, 'r');
    try {
      for (;;) {
        const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, mostBytes + 1));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > mostBytes) break;
        chunks.push(chunk.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      {
        location: { file },
        path: '',
        message: code === 'ENOENT' ? `${what} not found` : `cannot read ${what} (${code ?? String(error)})`,
        hint: code === 'ENOENT' ? missingHint : undefined,
      },
      { cause: error },
    );
  }
  if (total > mostBytes) {
    throw new InputError({
      location: { file },
      path: '',
      message: `${what} is larger than ${(mostBytes / 1024 / 1024).toLocaleString('en-US')} MiB`,
      expected: `a ${what} of at most ${(mostBytes / 1024 / 1024).toLocaleString('en-US')} MiB`,
      hint: 'check that the path names the intended file',
    });
  }
  return Buffer.concat(chunks).toString('utf8');
}
