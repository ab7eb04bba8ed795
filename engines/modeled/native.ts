import { assumed, param } from '../param.js';
import { defineModeledEngine } from './define.js';

const none = (why: string) => assumed(0, why);

/** The baseline: the application as a plain process on the host. Every overhead is measured against it. */
export const native = defineModeledEngine({
  id: 'native',
  title: 'Native process',
  kind: 'native',
  boot: {
    forkExecs: assumed(
      1,
      "the entry point's fork and exec: its price is the host's (engines/hardware/kernel-costs.ts)",
    ),
  },
  memory: {
    instanceOverheadMiB: none('a process needs nothing beyond its own working set'),
    hostReserveMiB: assumed(2048, 'host OS, page cache floor and system daemons'),
    pageSharingFraction: none('processes already share their libraries through the page cache'),
    workingSetOverheadFraction: none('the baseline'),
  },
  costs: {
    cpuFraction: none('the baseline'),
    unpinnedParallelFraction: none('the host scheduler sees the real topology'),
    memoryBandwidthFraction: none('the baseline'),
    randomAccessExtraNs: none('the baseline'),
    syscallExtraNs: none('the baseline'),
    diskSeqFraction: none('the baseline'),
    diskIoPathUs: none('the baseline'),
    diskWritePathUs: none('the baseline'),
    networkPacketUs: none('the baseline'),
    networkRoundTripExtraUs: none('the baseline'),
    emulationFraction: none('a process never emulates'),
  },
  noise: {
    bootCov: assumed(0.1, 'exec latency varies with page-cache state and scheduling'),
    runCov: param(0.0038, 'derived', 'felter-linpack-native: +-1.1 GFLOPS of 290.8'),
  },
});
