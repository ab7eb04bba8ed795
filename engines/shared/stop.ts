/**
 * A request to stop, from Ctrl-C (SIGINT) or SIGTERM. Whatever holds something that must not
 * outlive the process — a temporary report file, a container — registers a listener, and the
 * listeners run synchronously the moment the signal arrives. Long computations poll
 * `throwIfStopped` between steps, so a stop takes effect promptly and unfinished work is never
 * committed.
 */

/** The exit code of a stop: 128 + the signal number, as a shell reports it. */
export const STOP_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof STOP_EXIT_CODES;

/** Thrown into work that notices a stop, and into whatever tries to start something after one. */
export class InterruptedError extends Error {
  constructor(readonly signal: StopSignal | undefined = requested) {
    super(`stopped by ${signal ?? 'a signal'}`);
    this.name = 'InterruptedError';
  }
}

let requested: StopSignal | undefined;
const listeners: ((signal: StopSignal) => void)[] = [];
let exitAfterStop: ((signal: StopSignal) => void) | undefined;
let watching = false;

/** The signal that asked to stop, once one has. */
export function stopRequested(): StopSignal | undefined {
  return requested;
}

export function throwIfStopped(): void {
  if (requested) throw new InterruptedError(requested);
}

/** Runs `listener` synchronously when a stop is requested; watching for the signals starts now. */
export function onStop(listener: (signal: StopSignal) => void): void {
  listeners.push(listener);
  watchSignals();
}

/**
 * Hands the exit after a stop to `handler` (the CLI waits for teardowns, then prints one line).
 * Without one, the process exits with the signal's code as soon as the listeners have run.
 */
export function setStopExit(handler: (signal: StopSignal) => void): void {
  exitAfterStop = handler;
  watchSignals();
}

/** Asks everything to stop, as the signal would; a second request changes nothing. */
export function requestStop(signal: StopSignal): void {
  if (requested) return;
  requested = signal;
  for (const listener of listeners) {
    try {
      listener(signal);
    } catch {
      // One failing listener must not keep the others from cleaning up.
    }
  }
  if (exitAfterStop) exitAfterStop(signal);
  else process.exit(STOP_EXIT_CODES[signal]);
}

/** Lets the event loop run, so a pending signal is delivered, then throws if it asked to stop. */
export async function yieldForStop(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfStopped();
}

function watchSignals(): void {
  if (watching) return;
  watching = true;
  for (const signal of Object.keys(STOP_EXIT_CODES) as StopSignal[]) process.on(signal, () => requestStop(signal));
}
