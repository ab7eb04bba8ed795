import type { OptionVariant } from '../model/params.js';
import { assumed, derived, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { docker } from './docker.js';
import { DOCKER_BRIDGE, dockerDaemonWork, RUNSC_SANDBOX, RUNSC_WORK, withMounts } from './oci-work.js';

const runc = docker.spec;

/**
 * ptrace: the Sentry traces the application's threads, so every system call stops the tracee,
 * wakes the tracer, reads and writes registers and resumes: host kernel entries and context
 * switches. Its two figures solve the two published ptrace rows together (ant2021 bare metal at
 * 2.6 GHz with 62 ns system calls, gvisor's n1-standard-4 VM at 2.2 GHz with 1939 ns ones).
 */
const PTRACE_ENTRIES = derived(
  16.526,
  'ant2021-getpid-runsc-ptrace 6249 ns and gvisor-syscall-runsc-ptrace 38219 ns solved together for entries x host system call + kcycles / GHz',
);
const PTRACE_KCYCLES = derived(13.583, 'solved with PTRACE_ENTRIES from the same two rows');

const noInterceptionPart = (why: string) => assumed(0, why);

/** How each platform intercepts, and what it changes. */
const PLATFORMS: Record<'ptrace' | 'systrap' | 'kvm', OptionVariant> = {
  ptrace: {
    note: 'gVisor platform: ptrace (each system call a ptrace stop of the application thread)',
    interception: {
      kernelEntries: PTRACE_ENTRIES,
      kcycles: PTRACE_KCYCLES,
      fixedNs: noInterceptionPart('ptrace costs follow the host system call and clock'),
    },
  },
  systrap: {
    note: 'gVisor platform: systrap (seccomp trap and signal handler; its interception cost is assumed, between ptrace and kvm)',
    interception: {
      kernelEntries: assumed(
        4,
        'systrap: the seccomp filter traps the call (SECCOMP_RET_TRAP), the kernel delivers SIGSYS to a stub handler in the application, which hands the call to the Sentry through shared memory and a futex wake, and returns with rt_sigreturn: about 4 kernel entries where ptrace makes 16.5',
      ),
      kcycles: assumed(
        PTRACE_KCYCLES.value / 2,
        "systrap: one switch to the Sentry's thread and back where ptrace makes the tracer and tracee switch through a stop and a resume: half of ptrace's CPU work; no published row times systrap",
      ),
      fixedNs: noInterceptionPart('systrap costs follow the host system call and clock'),
    },
  },
  kvm: {
    note: "gVisor platform: kvm (the Sentry runs in guest ring 0 and takes the application's system calls as guest traps; needs /dev/kvm)",
    interception: {
      kernelEntries: noInterceptionPart('the application traps into the Sentry inside the VM: no host system call'),
      kcycles: noInterceptionPart(
        "kept as a fixed time: the two rows do not follow their hosts' clocks (1679 cycles on the 2.2 GHz VM, 2158 on 2.6 GHz bare metal)",
      ),
      fixedNs: derived(
        796.5,
        'mean of gvisor-syscall-runsc-kvm 763 ns and ant2021-getpid-runsc-kvm 830 ns: a guest-mode trap, the Sentry dispatch and the address-space switch back',
      ),
    },
  },
};

/**
 * gVisor (runsc): a user-space kernel intercepts every system call. Containers reach runsc
 * through Docker's daemon path; runsc's own start (create, start) replaces runc's, and its Sentry
 * and Gofer boot in their own processes. The platform (options.platform) sets how system calls
 * are intercepted: systrap by default, as runsc has since 2023.
 */
export const gvisor = defineModeledEngine({
  id: 'gvisor',
  title: 'gVisor (runsc; systrap platform unless options.platform says otherwise)',
  kind: 'sandbox',
  boot: {
    ...dockerDaemonWork(undefined),
    ...RUNSC_WORK,
    mounts: withMounts(
      RUNSC_WORK,
      4,
      "dockerd's overlay root and its binds over /etc/hosts, /etc/hostname and /etc/resolv.conf",
    ),
    ...DOCKER_BRIDGE,
    ...RUNSC_SANDBOX,
  },
  variants: { platform: { default: 'systrap', values: PLATFORMS } },
  memory: {
    instanceOverheadMiB: param(
      23.7 / 1.048576,
      'read',
      'gvisor-mem-sleep-runsc: 23.7 MB for a sleeping runsc container',
    ),
    hostReserveMiB: runc.memory.hostReserveMiB,
    pageSharingFraction: assumed(0, 'each Sentry keeps private memory'),
    workingSetOverheadFraction: derived(
      0.38292,
      '(gvisor-mem-node-runsc 124.1 - gvisor-mem-sleep-runsc 23.7) / (gvisor-mem-node-runc 76.7 - gvisor-mem-sleep-runc 4.1) - 1: the Sentry caches file pages the host caches too',
    ),
  },
  costs: {
    cpuFraction: derived(0.003876, 'gvisor-sysbench-cpu-runc 103.6 / gvisor-sysbench-cpu-runsc 103.2 events/s - 1'),
    unpinnedParallelFraction: assumed(0, 'application threads are host threads'),
    memoryBandwidthFraction: assumed(0, 'the ptrace platform runs on the host page tables'),
    randomAccessExtraNs: assumed(0, 'the ptrace platform runs on the host page tables: no nested paging'),
    syscallExtraNs: assumed(0, "replaced for every cell by the platform's interception (options.platform)"),
    diskSeqFraction: assumed(0.1, 'file I/O goes through the Sentry VFS and the Gofer'),
    diskIoPathUs: assumed(20, 'each I/O is a Sentry round trip plus a Gofer call'),
    diskWritePathUs: assumed(20, 'as a read: a Sentry round trip plus a Gofer call'),
    networkPacketUs: derived(
      18.09,
      'gvisor-iperf-down-runsc 640.3 Mbit/s where runc carries 746.4: netstack binds, 11584 bit per segment / 640.3 Mbit/s',
    ),
    networkRoundTripExtraUs: assumed(40, 'netstack plus intercepted send/recv on both legs'),
    emulationFraction: assumed(0, 'no guest hardware is emulated'),
  },
  // Containers reach runsc through the same daemon path as runc.
  storm: runc.storm,
  noise: {
    bootCov: assumed(0.08, 'as docker, plus Sentry start'),
    runCov: assumed(0.01, 'interception adds scheduling jitter'),
  },
});
