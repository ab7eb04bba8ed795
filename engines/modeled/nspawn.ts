import { assumed } from '../param.js';
import { defineModeledEngine } from './define.js';
import { NO_SANDBOX } from './oci-work.js';
import { runc } from './runc.js';

/**
 * systemd-nspawn: a C tool that registers the container with systemd-machined and asks systemd
 * for a scope unit over D-Bus, so systemd makes its cgroup; nspawn makes the namespaces and
 * mounts itself.
 */
export const nspawn = defineModeledEngine({
  ...runc.spec,
  id: 'nspawn',
  title: 'systemd-nspawn',
  boot: {
    daemonRoundTrips: assumed(
      8,
      'D-Bus calls to systemd-machined (register) and to systemd (the scope unit) and their replies',
    ),
    daemonForkExecs: assumed(0, 'machined and systemd are running already'),
    daemonMcycles: assumed(5, "systemd and machined handling the calls: the unit's set-up and bookkeeping"),
    daemonFsyncs: assumed(0, 'machine registration is kept in /run, a tmpfs'),
    runtimeForkExecs: assumed(2, 'systemd-nspawn and the command; its inner child is a clone, not an exec'),
    runtimeMcycles: assumed(10, 'a C tool linked to libsystemd-shared (3 MB): loading it and parsing options'),
    runtimeSyscalls: assumed(2000, 'nspawn probes the image, the host and its devices at length'),
    namespaces: assumed(4, 'pid, mount, uts and ipc'),
    cgroupWrites: assumed(30, "systemd's scope cgroup in each hierarchy and the attach"),
    mounts: assumed(
      40,
      'proc and sys with read-only overmounts, /dev as tmpfs with its nodes bound, /run, /tmp, devpts, /etc/resolv.conf and the journal, the root and pivot_root',
    ),
    bridgeForkExecs: assumed(0, '--network-veth is done in nspawn itself'),
    bridgeSyscalls: assumed(150, 'netlink requests for the veth pair and its addresses'),
    ...NO_SANDBOX,
  },
});
