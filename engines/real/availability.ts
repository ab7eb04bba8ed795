import { BUSYBOX_PACKAGE, findStaticBusybox } from './guest/busybox.js';

/** Whether a driver can run here, and if not, why and what to install. */
export interface Availability {
  readonly available: boolean;
  /** Why not, one reason per missing piece; empty when available. */
  readonly reasons: readonly string[];
  /** Debian packages that bring what is missing. */
  readonly packages: readonly string[];
  /** What was found, for `virtbench doctor` (versions, paths, the accelerator). */
  readonly found: readonly string[];
}

/** Availability of the one thing every driver needs: a static busybox. */
export async function busyboxAvailability(): Promise<{ path?: string; availability: Availability }> {
  const { busybox, reason } = await findStaticBusybox();
  return busybox
    ? {
        path: busybox.path,
        availability: { available: true, reasons: [], packages: [], found: [`busybox ${busybox.path} (static)`] },
      }
    : { availability: { available: false, reasons: [reason!], packages: [BUSYBOX_PACKAGE], found: [] } };
}

export function combineAvailability(...parts: Availability[]): Availability {
  const reasons = parts.flatMap((p) => p.reasons);
  return {
    available: reasons.length === 0,
    reasons,
    packages: [...new Set(parts.flatMap((p) => p.packages))],
    found: parts.flatMap((p) => p.found),
  };
}
