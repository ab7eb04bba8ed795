import { assumed } from '../param.js';
import { defineModeledEngine } from './define.js';
import { NO_DAEMON, NO_SANDBOX } from './oci-work.js';
import { runc } from './runc.js';

/** LXC as lxc-execute runs a command: liblxc in C sets up the container itself, with no daemon. */
export const lxc = defineModeledEngine({
  ...runc.spec,
  id: 'lxc',
  title: 'LXC (lxc-execute)',
  boot: {
    ...NO_DAEMON,
    runtimeForkExecs: assumed(3, 'lxc-execute, lxc-init as the container init, and the command it runs'),
    runtimeMcycles: assumed(5, 'a C tool: loading liblxc and parsing the container config, about 5 million cycles'),
    runtimeSyscalls: assumed(
      1500,
      'liblxc walks the config and the host mounts with more system calls than crun, fewer than a Go runtime',
    ),
    namespaces: assumed(5, 'pid, mount, uts, ipc and cgroup'),
    cgroupWrites: assumed(60, 'a directory per cgroup v1 controller, the device rules and the attach'),
    mounts: assumed(
      30,
      "lxc.mount.auto's proc, sys and cgroup, an autodev /dev with its nodes bound, devpts, the root and pivot_root",
    ),
    bridgeForkExecs: assumed(0, 'liblxc makes the veth pair itself'),
    bridgeSyscalls: assumed(200, 'netlink requests for the veth pair, its name, address and the lxcbr0 bridge'),
    ...NO_SANDBOX,
  },
});
