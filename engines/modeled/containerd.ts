import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { docker } from './docker.js';
import { BARE_NETNS, GO_BINARY_MIB, goStarts, NO_SANDBOX, RUNC_WORK, withMounts } from './oci-work.js';

/**
 * containerd driven by its own client, `ctr run`: containerd and the shim drive runc, without
 * dockerd, libnetwork or its hook.
 */
export const containerd = defineModeledEngine({
  ...docker.spec,
  id: 'containerd',
  title: 'containerd (ctr run, runc)',
  boot: {
    daemonRoundTrips: assumed(
      6,
      'ctr to containerd: container create, task create, task start, the exit event; containerd to the shim: create, start',
    ),
    daemonForkExecs: assumed(4, 'the ctr client, the shim and its re-exec, and `runc start`'),
    daemonMcycles: derived(
      goStarts(GO_BINARY_MIB.ctr, GO_BINARY_MIB.shim, GO_BINARY_MIB.shim, GO_BINARY_MIB.runc) + 10,
      'Go starts of ctr, the shim twice and runc start at GO_START_MCYCLES_PER_MIB, plus 10 Mcycles assumed for containerd to handle the create and start',
    ),
    daemonFsyncs: assumed(3, "containerd's bolt commits for the container, its task and its snapshot"),
    ...RUNC_WORK,
    mounts: withMounts(RUNC_WORK, 1, 'the overlay snapshot containerd mounts as the root'),
    ...BARE_NETNS,
    ...NO_SANDBOX,
  },
  storm: undefined,
});
