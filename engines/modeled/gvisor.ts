import { assumed, derived, param } from '../param.js';
import { defineModeledEngine } from './define.js';
import { docker } from './docker.js';

const runc = docker.spec;

/** gVisor (runsc, ptrace platform): a user-space kernel intercepts every system call. */
export const gvisor = defineModeledEngine({
  id: 'gvisor',
  title: 'gVisor (runsc)',
  kind: 'sandbox',
  boot: {
    ...runc.boot,
    sandboxKernelStartMs: param(
      150,
      'recalled',
      'runsc boots the Sentry and Gofer processes: about 150 ms before the first exec',
    ),
  },
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
    syscallExtraNs: derived(36280, 'gvisor-syscall-runsc-ptrace 38219 ns - gvisor-syscall-runc 1939 ns'),
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
