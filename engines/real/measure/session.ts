import { asOutputError, isStorageFull } from '../../shared/errors.js';
import type { Cell } from '../../types.js';
import { busyboxAvailability } from '../availability.js';
import type { DriverSession, RealDriverSpec } from '../driver-spec.js';
import { guardRunHostState, sweepDeadRunsOnce } from '../host/leftovers.js';
import { makeTempDir } from '../host/tempdir.js';
import { type ResolvedRealOptions, resolveRealOptions } from '../options.js';

/** A prepared driver, or why it cannot run here. */
export type OpenedSession =
  | {
      readonly state: 'open';
      readonly session: DriverSession;
      readonly options: ResolvedRealOptions;
      readonly busybox: string;
      readonly workDir: string;
      readonly notes: string[];
      close(): Promise<void>;
    }
  | { readonly state: 'unavailable'; readonly reason: string };

/** Checks availability and prepares the driver for a cell; close() tears everything down. */
export async function openSession(spec: RealDriverSpec, cell: Cell): Promise<OpenedSession> {
  const notes: string[] = [];
  const swept = sweepDeadRunsOnce();
  if (swept && swept.removed.length > 0) notes.push(`removed ${swept.removed.length} leftovers of killed runs first`);
  guardRunHostState();
  const availability = await spec.availability(cell);
  if (!availability.available) {
    const install = availability.packages.length > 0 ? ` (Debian packages: ${availability.packages.join(' ')})` : '';
    return { state: 'unavailable', reason: `${spec.id} unavailable: ${availability.reasons.join('; ')}${install}` };
  }
  const { path: busybox } = await busyboxAvailability();
  const options = resolveRealOptions(cell, spec.defaultTimeoutMs);
  const workDir = await makeTempDir(spec.id);
  let session: DriverSession;
  try {
    session = await spec.open({ cell, options, workDir: workDir.path, busybox: busybox!, notes });
  } catch (error) {
    workDir.release();
    // A full disk is not this driver's shortcoming: it would fail every driver, so the run stops
    // and says where it could not write.
    if (isStorageFull(error)) throw asOutputError(`${workDir.path} (preparing ${spec.id} under TMPDIR)`, error);
    return {
      state: 'unavailable',
      reason: `${spec.id} could not be prepared: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  return {
    state: 'open',
    session,
    options,
    busybox: busybox!,
    workDir: workDir.path,
    notes,
    close: async () => {
      try {
        await session.dispose?.();
      } finally {
        workDir.release();
      }
    },
  };
}
