import { defineModeledEngine } from './define.js';
import { BARE_NETNS, CRUN_WORK, NO_DAEMON, NO_SANDBOX } from './oci-work.js';
import { runc } from './runc.js';

/** crun invoked directly, as `crun run`: the same kernel work as runc from a runtime written in C, with no Go runtime to start. */
export const crun = defineModeledEngine({
  ...runc.spec,
  id: 'crun',
  title: 'crun (bare OCI runtime)',
  boot: { ...NO_DAEMON, ...CRUN_WORK, ...BARE_NETNS, ...NO_SANDBOX },
});
