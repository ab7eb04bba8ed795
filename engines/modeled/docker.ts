import { assumed, derived, read } from '../param.js';
import { defineModeledEngine } from './define.js';
import { DOCKER_BRIDGE, dockerDaemonWork, GO_BINARY_MIB, NO_SANDBOX, RUNC_WORK, withMounts } from './oci-work.js';

/** Docker Engine: dockerd and containerd drive runc; the container shares the host kernel. Its start is runc's plus the daemon path. */
export const docker = defineModeledEngine({
  id: 'docker',
  title: 'Docker (containerd + runc)',
  kind: 'container',
  boot: {
    ...dockerDaemonWork(GO_BINARY_MIB.runc),
    ...RUNC_WORK,
    mounts: withMounts(
      RUNC_WORK,
      4,
      "dockerd's overlay root and its binds over /etc/hosts, /etc/hostname and /etc/resolv.conf",
    ),
    ...DOCKER_BRIDGE,
    ...NO_SANDBOX,
  },
  memory: {
    instanceOverheadMiB: read(4.1 / 1.048576, 'gvisor-mem-sleep-runc: 4.1 MB for a sleeping runc container'),
    hostReserveMiB: assumed(2048, 'host OS plus dockerd and containerd'),
    pageSharingFraction: assumed(0, 'containers share image pages through the page cache already'),
    workingSetOverheadFraction: assumed(
      0,
      'container processes are ordinary host processes: their memory is the working set',
    ),
  },
  costs: {
    cpuFraction: derived(0, 'felter-linpack-docker 290.9 vs felter-linpack-native 290.8 GFLOPS: no difference'),
    unpinnedParallelFraction: derived(0, 'felter-linpack-docker: the host scheduler sees the real topology'),
    memoryBandwidthFraction: derived(0, 'felter-stream-triad-docker 45.63 vs native 45.60 GB/s'),
    randomAccessExtraNs: derived(0, 'felter-gups-1s-docker 0.0457 vs native 0.0458 GUPS: within noise'),
    syscallExtraNs: assumed(0, 'system calls go straight to the host kernel'),
    diskSeqFraction: derived(0, 'felter-fio-seqread-docker 806.7 vs native 806.9 MB/s'),
    diskIoPathUs: derived(0, 'felter-fio-randread-docker 84092 vs native 84044 IOPS'),
    diskWritePathUs: derived(0, 'felter-fio-randwrite-docker 112048 vs native 112034 IOPS'),
    networkPacketUs: derived(
      1.233,
      "felter-nuttcp-docker 9.33 / felter-nuttcp-native 9.35 Gbit/s of the link's 9.415 Gbit/s TCP goodput through the bridge and NAT: 11584 bit per segment / 9.395 Gbit/s",
    ),
    networkRoundTripExtraUs: assumed(8, 'veth + bridge + NAT each way; the study leaves Docker NAT TCP_RR empty'),
    emulationFraction: assumed(0, 'containers never emulate'),
  },
  storm: {
    serialMs: assumed(
      25,
      "each create commits container metadata through containerd's single bolt writer and allocates its endpoint under libnetwork's network lock: a few fsync-bound commits",
    ),
    setupCpuFraction: assumed(
      0.4,
      'docker run is mostly API round trips between the CLI, dockerd, containerd and the shim, and kernel namespace and mount set-up',
    ),
    backgroundCpuMs: assumed(0, 'the shim and runtime processes are counted in the daemon and runtime phases'),
  },
  noise: {
    bootCov: assumed(0.08, 'daemon round trips and namespace creation vary with host load'),
    runCov: derived(0.0034, 'felter-linpack-docker: +-0.98 GFLOPS of 290.9'),
  },
});
