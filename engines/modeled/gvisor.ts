import { assumed, derived, param } from '../param.js';
import { docker } from './docker.js';
import { defineModeledEngine } from './define.js';

const runc = docker.spec;

/** gVisor (runsc, ptrace platform): a user-space kernel intercepts every system call. */
export const gvisor = defineModeledEngine({
  id: 'gvisor',
  title: 'gVisor (runsc)',
  kind: 'sandbox',
  boot: {
    ...runc.boot,
    sandboxKernelStartMs: param(150, 'recalled', 'runsc boots the Sentry and Gofer processes: about 150 ms before the first exec'),
  },
  memory: {
    instanceOverheadMiB: param(23.7 / 1.048576, 'read', 'gvisor-mem-sleep-runsc: 23.7 MB for a sleeping runsc container'),
    hostReserveMiB: runc.memory.hostReserveMiB,
    pageSharingFraction: assumed(0, 'each Sentry keeps private memory'),
  },
  costs: {
    cpuFraction: derived(0.0039, 'gvisor-sysbench-cpu-runc 103.6 / gvisor-sysbench-cpu-runsc 103.2 events/s - 1'),
    unpinnedParallelFraction: assumed(0, 'application threads are host threads'),
    memoryBandwidthFraction: assumed(0, 'the ptrace platform runs on the host page tables'),
    randomAccessExtraNs: assumed(0, 'the ptrace platform runs on the host page tables: no nested paging'),
    syscallExtraNs: derived(36280, 'gvisor-syscall-runsc-ptrace 38219 ns - gvisor-syscall-runc 1939 ns'),
    diskSeqFraction: assumed(0.1, 'file I/O goes through the Sentry VFS and the Gofer'),
    diskIoPathUs: assumed(20, 'each I/O is a Sentry round trip plus a Gofer call'),
    networkPacketUs: derived(18.75, 'gvisor-iperf-down-runsc 640 Mbit/s: 12000 bit per packet / 640 Mbit/s when netstack binds'),
    networkRoundTripExtraUs: assumed(40, 'netstack plus intercepted send/recv on both legs'),
    emulationFraction: assumed(0, 'no guest hardware is emulated'),
  },
  noise: {
    bootCov: assumed(0.08, 'as docker, plus Sentry start'),
    runCov: assumed(0.01, 'interception adds scheduling jitter'),
  },
});
