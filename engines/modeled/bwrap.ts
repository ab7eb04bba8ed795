import { assumed } from '../param.js';
import { defineModeledEngine } from './define.js';
import { NO_DAEMON, NO_SANDBOX } from './oci-work.js';
import { runc } from './runc.js';

/**
 * bubblewrap: a small setuid-capable C tool that makes namespaces and bind mounts and execs the
 * command. No cgroup, no daemon, no image: the sandbox is the host's own files, bound read-only.
 */
export const bwrap = defineModeledEngine({
  ...runc.spec,
  id: 'bwrap',
  title: 'bubblewrap (bwrap)',
  boot: {
    ...NO_DAEMON,
    runtimeForkExecs: assumed(2, 'bwrap and the command; its pid-1 child is a clone, not an exec'),
    runtimeMcycles: assumed(1, 'a 70 KB C program with almost nothing to load'),
    runtimeSyscalls: assumed(300, 'option parsing, the capability drop and a few file operations around the mounts'),
    namespaces: assumed(5, '--unshare-all: pid, mount, uts, ipc and cgroup (user when not root)'),
    cgroupWrites: assumed(0, 'bwrap makes no cgroup'),
    mounts: assumed(
      20,
      'a tmpfs root, read-only binds of /usr, /lib, /lib64, /bin and /etc each bound and remounted, /proc, a /dev tmpfs with its nodes bound, pivot_root',
    ),
    bridgeForkExecs: assumed(0, 'bwrap only makes an empty network namespace'),
    bridgeSyscalls: assumed(0, 'bwrap only makes an empty network namespace'),
    ...NO_SANDBOX,
  },
});
