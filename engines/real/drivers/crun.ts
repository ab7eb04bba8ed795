import { join } from 'node:path';
import {
  type Availability,
  combineAvailability,
  missing,
  present,
  versionedToolAvailability,
} from '../availability.js';
import { defineContainerDriver } from '../define-driver.js';
import { BUSYBOX_PACKAGE } from '../guest/busybox.js';
import { cgroupLayout } from '../host/capabilities.js';
import { findTool } from '../host/spawn.js';
import { openOciRuntimeSession } from '../oci-runtime.js';

/**
 * crun, the OCI runtime in C, on the same bundle runc boots. crun refuses the hybrid cgroup
 * layout ("cgroups in hybrid mode not supported") when the unified hierarchy has controllers;
 * on such a host each crun command runs in a private mount namespace in which the unified
 * hierarchy is unmounted, so crun sees cgroup v1 only, as runc uses it. Nothing changes on the
 * host: the unmount is visible to that one command.
 */

/**
 * A fixed script: unmount $1 in this (private) mount namespace, then exec the rest of the
 * arguments. They arrive as "$@" data and are never parsed as shell code.
 */
const WITHOUT_UNIFIED_SCRIPT = 'umount "$1" && shift && exec "$@"';

/** argv that runs crun, wrapped in a private mount namespace without cgroup v2 when the layout is hybrid. */
async function crunCommand(crun: string, stateRoot: string): Promise<{ prefix: string[]; workaround?: string }> {
  const layout = await cgroupLayout();
  const plain = [crun, '--root', stateRoot];
  const unified = layout.v2MountPoint;
  if (layout.value !== 'hybrid' || !unified) return { prefix: plain };
  const unshare = findTool('unshare')!;
  const sh = findTool('sh')!;
  return {
    prefix: [
      unshare,
      '--mount',
      '--propagation',
      'private',
      sh,
      '-c',
      WITHOUT_UNIFIED_SCRIPT,
      'crun-without-cgroup-v2',
      unified,
      ...plain,
    ],
    workaround: `crun: ${layout.detail}; each crun command runs in a private mount namespace with ${unified} unmounted`,
  };
}

async function availability(): Promise<Availability> {
  const crun = await versionedToolAvailability(
    'crun',
    ['crun'],
    'rootless crun needs a user-namespace config virtbench does not generate',
  );
  const layout = await cgroupLayout();
  const hybrid =
    layout.value !== 'hybrid'
      ? present(`cgroups: ${layout.detail}`)
      : findTool('unshare') && findTool('sh')
        ? present(`cgroups: ${layout.detail} (crun runs with the unified hierarchy unmounted)`)
        : missing(`cgroups: ${layout.detail}, and unshare or sh to hide it from crun is missing`, ['util-linux']);
  return combineAvailability(crun, hybrid);
}

export const crunDriver = defineContainerDriver({
  id: 'crun',
  title: 'crun (OCI bundle from busybox-static)',
  defaultTimeoutMs: 30_000,
  requires: ['crun', BUSYBOX_PACKAGE],
  availability,
  open: async (context) => {
    const { prefix, workaround } = await crunCommand(findTool('crun')!, join(context.workDir, 'crun-state'));
    if (workaround) context.notes.push(workaround);
    return openOciRuntimeSession(context, {
      driver: 'crun',
      prefix,
      description: 'crun',
      idleEstimateMiB: 8,
      servesNetwork: true,
    });
  },
});
