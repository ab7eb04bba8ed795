import { assumed, derived } from '../param.js';
import type { Param } from '../types.js';

/**
 * The start-up work of the OCI runtimes and daemon paths the container engines share, counted
 * in operations that engines/model/start-work.ts prices on the host. An engine is the sum of its
 * parts: Docker is runc plus dockerd, containerd and the shim; gVisor replaces runc's start with
 * runsc's and boots its Sentry; podman drives whichever runtime it is told to.
 */

/**
 * CPU to start a Go binary, per MiB of it: the runtime maps and faults in its text and runs
 * every package's init, so the work grows with the binary.
 * derived from scrivano2017: what runc-true-nonetns takes beyond the kernel work it shares with
 * crun (priced on the scrivano2017-laptop profile, whose kernel costs crun-true-nonetns sets) is
 * runc's Go runtime, started twice (runc and its re-exec as runc init); 8.35 MiB is runc's binary.
 */
export const GO_START_MCYCLES_PER_MIB = derived(
  4.0743,
  'runc-true-nonetns 75.1 ms less what runc shares with crun-true-nonetns on scrivano2017-laptop (its fork+execs, namespaces, mounts and cgroup writes, 47.45 ms, and 4,300 system calls, 0.43 ms) is two starts of the 8.35 MiB runc binary at 2.5 GHz: 68.04 Mcycles',
);

/** Sizes of the Go binaries on the start paths, MiB: what each start of them costs follows. */
export const GO_BINARY_MIB = {
  runc: assumed(8.35, 'runc 1.1.5 as Debian 12 ships it: 8,752,456 bytes'),
  runsc: assumed(
    22.1,
    'runsc 20221219 as Debian 12 ships it: 24,013,136 bytes (one binary for the CLI, the Sentry and the Gofer)',
  ),
  docker: assumed(40.8, 'the docker CLI of Docker 20.10 as Debian 12 ships it: 42,791,888 bytes'),
  dockerd: assumed(71.7, 'dockerd 20.10 as Debian 12 ships it: 75,181,184 bytes'),
  shim: assumed(11.08, 'containerd-shim-runc-v2 1.6 as Debian 12 ships it: 11,615,216 bytes'),
  ctr: assumed(22.1, 'ctr 1.6 as Debian 12 ships it: 23,175,592 bytes'),
  podman: assumed(31.44, 'podman 4.3 as Debian 12 ships it: 32,969,312 bytes'),
} as const;

/** Mcycles to start these Go binaries once each. */
export function goStarts(...binaries: Param[]): number {
  return binaries.reduce((sum, b) => sum + b.value, 0) * GO_START_MCYCLES_PER_MIB.value;
}

/** What an OCI runtime itself does for one `run` of a bundle: its processes, its CPU and the kernel objects it makes. */
export interface RuntimeWork {
  readonly runtimeForkExecs: Param;
  readonly runtimeMcycles: Param;
  readonly runtimeSyscalls: Param;
  readonly namespaces: Param;
  readonly cgroupWrites: Param;
  readonly mounts: Param;
}

/** Namespaces every OCI runtime here creates for a container, besides the network one. */
const OCI_NAMESPACES = assumed(4, 'pid, mount, uts and ipc, as the default `runc spec` bundle asks');
/** cgroup operations of a runtime on a cgroup v1 host. */
const OCI_CGROUP_WRITES = assumed(
  78,
  'counted with strace -f of runc 1.1.5 on a cgroup v1 (hybrid) host: 19 controller directories made and 59 files opened and written under /sys/fs/cgroup; crun and runsc set the same limits',
);
/** Mounts of the default `runc spec` bundle. */
const OCI_MOUNTS = assumed(
  52,
  'counted with strace -f of runc 1.1.5 on the default `runc spec` bundle: the root bind and its propagation, 7 file systems, 10 masked paths, 5 read-only paths bound and remounted, pivot_root and the old root',
);

export const RUNC_WORK: RuntimeWork = {
  runtimeForkExecs: assumed(
    3,
    "counted with strace -f: `runc run`, its re-exec as `runc init`, and the container's process",
  ),
  runtimeMcycles: derived(
    goStarts(GO_BINARY_MIB.runc, GO_BINARY_MIB.runc),
    'two Go starts of the runc binary (runc and runc init) at GO_START_MCYCLES_PER_MIB',
  ),
  runtimeSyscalls: assumed(
    4300,
    'counted with strace -f -c of runc 1.1.5 `runc run`: about 4,300 system calls, most of them the Go runtime (futex, nanosleep, signal set-up)',
  ),
  namespaces: OCI_NAMESPACES,
  cgroupWrites: OCI_CGROUP_WRITES,
  mounts: OCI_MOUNTS,
};

export const CRUN_WORK: RuntimeWork = {
  runtimeForkExecs: assumed(
    2,
    "crun and the container's process: crun clones the container's init without re-executing itself",
  ),
  runtimeMcycles: assumed(
    2,
    'a 0.5 MB C program: dynamic loading of libseccomp, libcap and yajl and parsing config.json, about 2 million cycles',
  ),
  runtimeSyscalls: assumed(
    800,
    "the same kernel objects as runc without a Go runtime's threads, futexes and signal set-up: about 800 system calls",
  ),
  namespaces: OCI_NAMESPACES,
  cgroupWrites: OCI_CGROUP_WRITES,
  mounts: OCI_MOUNTS,
};

/** runsc's own CLI: `runsc create` and `runsc start`, each a Go start of the runsc binary. Its Sentry and Gofer are sandbox work. */
export const RUNSC_WORK: RuntimeWork = {
  runtimeForkExecs: assumed(2, 'runsc create and runsc start, executed by the shim'),
  runtimeMcycles: derived(
    goStarts(GO_BINARY_MIB.runsc, GO_BINARY_MIB.runsc),
    'two Go starts of the runsc binary (create, start) at GO_START_MCYCLES_PER_MIB',
  ),
  runtimeSyscalls: assumed(4300, "as runc's: a Go CLI making the same kind of kernel objects"),
  namespaces: OCI_NAMESPACES,
  cgroupWrites: OCI_CGROUP_WRITES,
  mounts: assumed(
    8,
    'the host mounts of a sandbox: the Gofer binds the root and the sandbox pivots into an empty root; the Sentry makes proc, dev and sys inside its own kernel, not on the host',
  ),
};

/** gVisor's user-space kernel: the Sentry (`runsc boot`) and the Gofer (`runsc gofer`), both the runsc binary. */
export const RUNSC_SANDBOX = {
  sandboxForkExecs: assumed(2, 'the Sentry and the Gofer, each an exec of runsc'),
  sandboxMcycles: derived(
    goStarts(GO_BINARY_MIB.runsc, GO_BINARY_MIB.runsc) + 50,
    'two Go starts of runsc (Sentry, Gofer) at GO_START_MCYCLES_PER_MIB, plus 50 Mcycles assumed for the Sentry to build its kernel, virtual file system and the application address space',
  ),
} as const;

/** Plain containers boot no user-space kernel. */
export const NO_SANDBOX = {
  sandboxForkExecs: assumed(0, 'no user-space kernel'),
  sandboxMcycles: assumed(0, 'no user-space kernel'),
} as const;

/** Bare runtimes start the container themselves: no daemon. */
export const NO_DAEMON = {
  daemonRoundTrips: assumed(0, 'no daemon: the runtime is invoked directly'),
  daemonForkExecs: assumed(0, 'no daemon: the runtime is invoked directly'),
  daemonMcycles: assumed(0, 'no daemon: the runtime is invoked directly'),
  daemonFsyncs: assumed(0, 'no daemon: the runtime is invoked directly'),
} as const;

/** A bare runtime's network namespace is empty: no veth until a CNI plugin wires it. */
export const BARE_NETNS = {
  bridgeForkExecs: assumed(0, 'a bare runtime only creates the network namespace; nothing wires it'),
  bridgeSyscalls: assumed(0, 'a bare runtime only creates the network namespace; nothing wires it'),
} as const;

/** Docker's bridge: libnetwork wires a veth pair over netlink, in the daemon. */
export const DOCKER_BRIDGE = {
  bridgeForkExecs: assumed(0, 'libnetwork calls iptables and docker-proxy only for published ports'),
  bridgeSyscalls: assumed(
    200,
    'netlink requests to create the veth pair, move one end into the namespace, rename it, address it, route it and attach the other end to docker0',
  ),
} as const;

/** Request handling of Go daemons for one container create and start. */
const DAEMON_HANDLING_MCYCLES = 20;

/**
 * `docker run --detach`: the CLI, dockerd, containerd, the shim (which re-executes itself), the
 * runtime's create and start, and libnetwork's prestart hook, which is dockerd's own binary
 * (`libnetwork-setkey`) executed by the runtime for every container, even with `--network none`.
 */
export function dockerDaemonWork(runtimeStart: Param | undefined) {
  const binaries = [
    GO_BINARY_MIB.docker,
    GO_BINARY_MIB.shim,
    GO_BINARY_MIB.shim,
    GO_BINARY_MIB.dockerd,
    ...(runtimeStart ? [runtimeStart] : []),
  ];
  return {
    daemonRoundTrips: assumed(
      10,
      'CLI to dockerd: ping, create, start; dockerd to containerd: container create, task create, task start, the exit event; containerd to the shim: connect, create, start',
    ),
    daemonForkExecs: assumed(
      runtimeStart ? 5 : 4,
      `the docker CLI, the shim and its re-exec, the libnetwork-setkey hook${runtimeStart ? ' and `runc start`' : ''}`,
    ),
    daemonMcycles: derived(
      goStarts(...binaries) + DAEMON_HANDLING_MCYCLES,
      `Go starts of the docker CLI, the shim twice, dockerd (as the setkey hook)${runtimeStart ? ' and runc start' : ''} at GO_START_MCYCLES_PER_MIB, plus ${DAEMON_HANDLING_MCYCLES} Mcycles assumed for dockerd and containerd to handle the create and start`,
    ),
    daemonFsyncs: assumed(
      6,
      "containerd's bolt commits for the container and its task, and dockerd's config.v2.json and hostconfig.json written atomically on create and start",
    ),
  };
}

/** Mounts an engine adds to its runtime's: an overlay root and binds over /etc files. */
export function withMounts(runtime: RuntimeWork, extra: number, why: string): Param {
  return assumed(runtime.mounts.value + extra, `${runtime.mounts.source}; plus ${extra}: ${why}`);
}
