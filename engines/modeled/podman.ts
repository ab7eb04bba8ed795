import type { OptionVariant } from '../model/params.js';
import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { gvisor } from './gvisor.js';
import {
  BARE_NETNS,
  CRUN_WORK,
  GO_BINARY_MIB,
  goStarts,
  NO_SANDBOX,
  RUNC_WORK,
  RUNSC_SANDBOX,
  RUNSC_WORK,
  type RuntimeWork,
} from './oci-work.js';
import { runc } from './runc.js';

/** podman's own additions to the runtime's mounts: the overlay root, /etc binds and /run/.containerenv. */
const PODMAN_EXTRA_MOUNTS = 5;

function runtimeBoot(work: RuntimeWork, name: string) {
  return {
    ...work,
    mounts: assumed(
      work.mounts.value + PODMAN_EXTRA_MOUNTS,
      `${name}'s mounts, plus podman's overlay root, its binds over /etc/hosts, /etc/hostname and /etc/resolv.conf, and /run/.containerenv`,
    ),
  };
}

const gvisorPlatform = gvisor.spec.variants!.platform!;

/** Which OCI runtime podman runs (options.runtime); crun is podman's default on Debian and Fedora. */
const RUNTIMES: Partial<Record<'runc' | 'crun' | 'runsc', OptionVariant>> = {
  crun: { note: 'podman runtime: crun', boot: runtimeBoot(CRUN_WORK, 'crun') },
  runc: { note: 'podman runtime: runc', boot: runtimeBoot(RUNC_WORK, 'runc') },
  runsc: {
    note: `podman runtime: runsc (${gvisorPlatform.values[gvisorPlatform.default].note})`,
    // runsc's Sentry and Gofer boot inside the runtime's start under podman, whose kind stays a container.
    boot: {
      ...runtimeBoot(RUNSC_WORK, 'runsc'),
      runtimeForkExecs: assumed(
        RUNSC_WORK.runtimeForkExecs.value + RUNSC_SANDBOX.sandboxForkExecs.value,
        'runsc create and start, and its Sentry and Gofer',
      ),
      runtimeMcycles: derived(
        RUNSC_WORK.runtimeMcycles.value + RUNSC_SANDBOX.sandboxMcycles.value,
        "runsc's CLI starts and its Sentry and Gofer boot",
      ),
    },
    costs: gvisor.spec.costs,
    interception: gvisorPlatform.values[gvisorPlatform.default].interception,
  },
};

/**
 * Podman: no daemon. The podman CLI sets up storage and the spec itself, starts conmon, which
 * runs the OCI runtime's create, and then runs the runtime's start; its state is a local database.
 */
export const podman = defineModeledEngine({
  id: 'podman',
  title: 'Podman (crun unless options.runtime says otherwise)',
  kind: 'container',
  boot: {
    daemonRoundTrips: assumed(
      2,
      'no daemon: conmon reports the container pid and the runtime result over its sync pipes',
    ),
    daemonForkExecs: assumed(3, 'the podman CLI, conmon (which forks itself away) and the runtime start'),
    daemonMcycles: derived(
      goStarts(GO_BINARY_MIB.podman) + 30,
      'a Go start of the podman binary at GO_START_MCYCLES_PER_MIB, plus 30 Mcycles assumed for libpod: image lookup in containers/storage, the OCI spec, the state database',
    ),
    daemonFsyncs: assumed(4, "commits of podman's state database (create, init, start) and the container's config"),
    ...runtimeBoot(CRUN_WORK, 'crun'),
    ...BARE_NETNS,
    bridgeForkExecs: assumed(1, 'netavark, the network helper podman executes to wire the bridge'),
    bridgeSyscalls: assumed(200, 'netlink requests for the veth pair, its address and route, and the bridge'),
    ...NO_SANDBOX,
  },
  variants: { runtime: { default: 'crun', values: RUNTIMES } },
  memory: { ...runc.spec.memory, hostReserveMiB: assumed(2048, 'host OS; conmon is counted per instance') },
  costs: runc.spec.costs,
  noise: runc.spec.noise,
});
