import { BUSYBOX_PACKAGE, findStaticBusybox } from './guest/busybox.js';
import { findTool, runCommandSync } from './host/spawn.js';

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
        availability: present(`busybox ${busybox.path} (static)`),
      }
    : { availability: missing(reason!, [BUSYBOX_PACKAGE]) };
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

/** A piece that is here, with what was found of it. */
export function present(...found: string[]): Availability {
  return { available: true, reasons: [], packages: [], found };
}

/** A piece that is missing: why, and the packages that bring it. */
export function missing(reason: string, packages: readonly string[] = []): Availability {
  return { available: false, reasons: [reason], packages, found: [] };
}

/** Running as root, when a driver needs it; `why` says what the driver does that requires it. */
export function rootAvailability(why: string): Availability {
  return process.getuid?.() === 0 ? present() : missing(`needs root: ${why}`);
}

/**
 * What a driver built on one host tool needs: the static busybox and the tool on PATH, which
 * `inspect` then vets (version, features) once found.
 */
export async function toolAvailability(
  tool: string,
  packages: readonly string[],
  inspect: (path: string) => Availability | Promise<Availability>,
): Promise<Availability[]> {
  const path = findTool(tool);
  const busybox = (await busyboxAvailability()).availability;
  return [busybox, path ? await inspect(path) : missing(`${tool} not found`, packages)];
}

/**
 * The common case: the static busybox, a tool on PATH whose `--version` (first line) is reported,
 * and root, which `rootWhy` says the driver needs for.
 */
export async function versionedToolAvailability(
  tool: string,
  packages: readonly string[],
  rootWhy: string,
  describe: (version: string) => string = (version) => version,
): Promise<Availability> {
  const parts = await toolAvailability(tool, packages, (path) => {
    const version = runCommandSync([path, '--version'], { timeoutMs: 5000 }).stdout.split('\n')[0]?.trim() ?? '';
    return present(`${describe(version)} (${path})`);
  });
  return combineAvailability(...parts, rootAvailability(rootWhy));
}
