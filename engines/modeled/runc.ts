import { assumed } from '../param.js';
import { defineModeledEngine } from './define.js';
import { docker } from './docker.js';
import { BARE_NETNS, NO_DAEMON, NO_SANDBOX, RUNC_WORK } from './oci-work.js';

/**
 * runc invoked directly, as `runc run`: Docker's container path without dockerd, containerd and
 * the shim. What runs in the container costs what it costs under Docker, which the felter2015
 * rows set.
 */
export const runc = defineModeledEngine({
  id: 'runc',
  title: 'runc (bare OCI runtime)',
  kind: 'container',
  boot: { ...NO_DAEMON, ...RUNC_WORK, ...BARE_NETNS, ...NO_SANDBOX },
  memory: { ...docker.spec.memory, hostReserveMiB: assumed(2048, 'host OS; no engine daemon') },
  costs: docker.spec.costs,
  noise: {
    ...docker.spec.noise,
    bootCov: assumed(0.06, 'no daemon round trips: namespace, cgroup and mount set-up vary with host load'),
  },
});
