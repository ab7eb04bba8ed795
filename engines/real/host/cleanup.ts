/**
 * Everything a real driver starts — processes, containers, images, temporary directories — is
 * registered here the moment it exists, and torn down in reverse order on success, failure,
 * timeout, Ctrl-C or SIGTERM. Teardowns are synchronous so they can run from a signal handler
 * or the process 'exit' event, when no more asynchronous work can be scheduled.
 */

export interface CleanupHandle {
  /** Tears the resource down now and forgets it. Safe to call twice. */
  release(): void;
  /** Forgets the resource without tearing it down (it ended on its own). */
  forget(): void;
}

interface Entry {
  readonly id: number;
  readonly label: string;
  readonly teardown: () => void;
}

const entries = new Map<number, Entry>();
let nextId = 1;
/** Set once a signal asked virtbench to stop: nothing new may be started from then on. */
let stopping = false;

/** Thrown into whatever tries to start something after a stop was requested. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

function runEntry(entry: Entry, failures: string[]): void {
  entries.delete(entry.id);
  try {
    entry.teardown();
  } catch (error) {
    failures.push(`${entry.label}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Registers a teardown; the label names the resource in failure messages. After a stop was
 * requested the resource is torn down at once and the caller gets an InterruptedError.
 */
export function registerCleanup(label: string, teardown: () => void): CleanupHandle {
  if (stopping) {
    teardown();
    throw new InterruptedError();
  }
  const entry: Entry = { id: nextId++, label, teardown };
  entries.set(entry.id, entry);
  return {
    release: () => {
      if (entries.has(entry.id)) {
        const failures: string[] = [];
        runEntry(entry, failures);
        if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join('; ')}`);
      }
    },
    forget: () => {
      entries.delete(entry.id);
    },
  };
}

/** Tears down everything still registered, newest first. Returns the teardowns that failed. */
export function runAllCleanups(): string[] {
  const failures: string[] = [];
  for (const entry of [...entries.values()].reverse()) runEntry(entry, failures);
  return failures;
}

/** Labels of what is still registered, oldest first. */
export function pendingCleanups(): string[] {
  return [...entries.values()].map((e) => e.label);
}

let installed = false;

/** How long work already in flight gets to notice the stop before the final sweep and exit. */
const STOP_GRACE_MS = 200;

/**
 * On SIGINT or SIGTERM, tear everything down and exit with 128 + the signal number; on any
 * other exit, tear down what is left. Installing twice is a no-op.
 */
export function installSignalCleanup(onSignal?: (signal: NodeJS.Signals, failures: string[]) => void): void {
  if (installed) return;
  installed = true;
  const handle = (signal: NodeJS.Signals, code: number) => () => {
    if (stopping) return; // a second Ctrl-C while stopping changes nothing
    stopping = true;
    const torn = [...entries.values()].reverse();
    runAllCleanups();
    // Work already in flight may still finish creating something (a directory a pending write
    // recreates, an image an import completes); anything new now fails at registerCleanup.
    // After a grace period every teardown runs once more: they are all idempotent.
    setTimeout(() => {
      const failures = runAllCleanups();
      for (const entry of torn) {
        try {
          entry.teardown();
        } catch (error) {
          failures.push(`${entry.label}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      onSignal?.(signal, failures);
      process.exit(code);
    }, STOP_GRACE_MS);
  };
  // `on`, not `once`: the listener stays counted while it runs, so other SIGINT listeners (the
  // report writer's) see that someone else will exit.
  process.on('SIGINT', handle('SIGINT', 130));
  process.on('SIGTERM', handle('SIGTERM', 143));
  process.once('exit', () => {
    runAllCleanups();
  });
}
