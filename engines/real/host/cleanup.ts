/**
 * Everything a real driver starts — processes, containers, images, temporary directories — is
 * registered here the moment it exists, and torn down in reverse order on success, failure,
 * timeout, Ctrl-C or SIGTERM. Teardowns are synchronous so they can run from a signal handler
 * or the process 'exit' event, when no more asynchronous work can be scheduled.
 */
import {
  InterruptedError,
  onStop,
  STOP_EXIT_CODES,
  type StopSignal,
  setStopExit,
  stopRequested,
} from '../../shared/stop.js';

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
  // Once a signal asked virtbench to stop, nothing new may be started.
  if (stopRequested()) {
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
 * On SIGINT or SIGTERM — both alike — tear everything down and exit with 128 + the signal
 * number; on any other exit, tear down what is left. Installing twice is a no-op.
 */
export function installSignalCleanup(onSignal?: (signal: StopSignal, failures: string[]) => void): void {
  if (installed) return;
  installed = true;
  let torn: Entry[] = [];
  onStop(() => {
    torn = [...entries.values()].reverse();
    runAllCleanups();
  });
  setStopExit((signal) => {
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
      process.exit(STOP_EXIT_CODES[signal]);
    }, STOP_GRACE_MS);
  });
  process.once('exit', () => {
    runAllCleanups();
  });
}
