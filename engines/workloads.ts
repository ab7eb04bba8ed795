import { TCP_PAYLOAD_BYTES } from './model/overhead.js';
import type { Workload } from './types.js';

/**
 * Named workloads a scenario can use with `workload: <id>`.
 *
 * Micro-benchmarks are the published benchmarks of engines/data/published.csv, each written in the
 * model's workload terms: how much compute, memory traffic, random access, system calls, disk and
 * network one run of the benchmark asks for. Their amounts follow from the benchmark's own
 * definition (job files, problem sizes); where a figure comes from a published row, the row id is
 * in the source.
 *
 * Application workloads are compositions of micro-benchmark operations: a key-value GET is one
 * request/response transaction plus one hash-table probe. They carry no figures of their own, only
 * how many of each operation one request performs, so the model predicts them from the same
 * calibrated costs as the micro-benchmarks.
 */
export interface WorkloadProfile {
  readonly id: string;
  readonly kind: 'micro' | 'application';
  readonly description: string;
  /** What the benchmark counts (GFLOP, transaction, I/O) ... */
  readonly unit: string;
  /** ... and how many of them one run of `workload` holds. */
  readonly units: number;
  /** Where the amounts come from. */
  readonly source: string;
  readonly workload: Workload;
}

type Terms = Partial<Omit<Workload, 'name'>>;

const NO_WORK: Omit<Workload, 'name'> = {
  computeGcycles: 0,
  threads: 1,
  memoryGB: 0,
  randomAccessesM: 0,
  syscallsM: 0,
  diskSeqReadMB: 0,
  diskSeqWriteMB: 0,
  diskRandReadK: 0,
  diskRandWriteK: 0,
  diskQueueDepth: 1,
  networkMB: 0,
  roundTripsK: 0,
};

function micro(
  id: string,
  description: string,
  unit: string,
  units: number,
  source: string,
  terms: Terms,
): WorkloadProfile {
  return { id, kind: 'micro', description, unit, units, source, workload: { name: id, ...NO_WORK, ...terms } };
}

// --- Compute -------------------------------------------------------------------------------------

/** Double-precision flops one LINPACK (HPL) solve of order N performs: 2/3 N^3 (the N^2 terms are negligible). */
const LINPACK_N = 45000;
const LINPACK_GFLOP = ((2 / 3) * LINPACK_N ** 3) / 1e9;
/**
 * Flops per core per cycle HPL sustains on the Felter host: 290.8 GFLOPS on 16 Sandy Bridge cores
 * at 2.4 GHz, 7.573 of the 8 an AVX core can retire (felter-linpack-native).
 */
const LINPACK_FLOPS_PER_CYCLE = 290.8 / (16 * 2.4);

export const linpack = micro(
  'linpack',
  'LINPACK (HPL) N=45000 on 16 threads: parallel dense compute. Whether the guest pins vCPUs and sees the host topology is the engine option `pinning`.',
  'GFLOP',
  LINPACK_GFLOP,
  'thewmf/kvm-docker-comparison linpack: N=45000, one thread per core; flops per cycle derived from felter-linpack-native',
  { computeGcycles: LINPACK_GFLOP / LINPACK_FLOPS_PER_CYCLE, threads: 16 },
);

/** Cycles of one sysbench cpu event (primes up to its limit): 103.6 events/s on one 2.2 GHz thread (gvisor-sysbench-cpu-runc). */
const SYSBENCH_EVENT_GCYCLES = 2.2 / 103.6;

export const sysbenchCpu = micro(
  'sysbench-cpu',
  'sysbench cpu: a prime-number loop on one thread, pure user-mode compute',
  'events',
  10000,
  'cycles per event derived from gvisor-sysbench-cpu-runc (runc adds nothing to user-mode compute)',
  { computeGcycles: 10000 * SYSBENCH_EVENT_GCYCLES },
);

export const syscallBound = micro(
  'syscall-bound',
  'A loop of raw system calls that do no work in the kernel: the cost of entering and leaving it',
  'system calls',
  100e6,
  "google/gvisor website/performance/syscall.csv: the benchmark's custom binary makes many raw system calls",
  { syscallsM: 100 },
);

// --- Memory --------------------------------------------------------------------------------------

/**
 * STREAM counts the bytes its kernels name (triad a = b + q*c: 24 per element; copy c = a: 16) but
 * every store first reads its cache line (write-allocate), so memory moves 32 and 24.
 */
const STREAM_COUNTED_GB = 100;

export const streamTriad = micro(
  'stream-triad',
  'STREAM triad on both sockets: bandwidth-bound streaming through memory',
  'GB as STREAM counts it',
  STREAM_COUNTED_GB,
  'STREAM triad counts 24 bytes per element and moves 32 with the write-allocate read',
  { memoryGB: (STREAM_COUNTED_GB * 32) / 24, threads: 16 },
);

export const streamCopy = micro(
  'stream-copy',
  'STREAM copy on both sockets: bandwidth-bound streaming through memory',
  'GB as STREAM counts it',
  STREAM_COUNTED_GB,
  'STREAM copy counts 16 bytes per element and moves 24 with the write-allocate read',
  { memoryGB: (STREAM_COUNTED_GB * 24) / 16, threads: 16 },
);

export const randomAccess = micro(
  'randomaccess',
  'HPCC RandomAccess (GUPS) on one socket: read-modify-writes at random addresses of a table far larger than the caches and TLB reach',
  'updates',
  1e9,
  'HPCC RandomAccess: every update misses the caches and the TLB',
  { randomAccessesM: 1000 },
);

// --- Network -------------------------------------------------------------------------------------

const BULK_MB = 10000;

export const nuttcp = micro(
  'nuttcp',
  'nuttcp bulk TCP from client to server: one long stream of full-size segments',
  'MB of payload',
  BULK_MB,
  'thewmf/kvm-docker-comparison nuttcp: one TCP stream; large socket writes make system calls negligible',
  { networkMB: BULK_MB },
);

export const iperf = micro(
  'iperf',
  'iperf bulk TCP between two hosts: one long stream of full-size segments',
  'MB of payload',
  BULK_MB,
  'google/gvisor performance guide: iperf between two instances; large socket writes make system calls negligible',
  { networkMB: BULK_MB },
);

const TRANSACTIONS = 100000;

export const netperfTcpRr = micro(
  'netperf-tcp-rr',
  'netperf TCP_RR: one small request and its response at a time on one connection; each side sends and receives once',
  'transactions',
  TRANSACTIONS,
  'thewmf/kvm-docker-comparison netperf: 100-byte request, 200-byte response; one send and one receive per transaction on the measured side',
  { roundTripsK: TRANSACTIONS / 1e3, syscallsM: (2 * TRANSACTIONS) / 1e6 },
);

// The model has no protocol term: UDP_RR differs from TCP_RR only in the host's stack, which the
// host's round-trip time (the mean of both on the Felter host) stands for.
export const netperfUdpRr = micro(
  'netperf-udp-rr',
  'netperf UDP_RR: one small datagram and its reply at a time; each side sends and receives once',
  'transactions',
  TRANSACTIONS,
  'thewmf/kvm-docker-comparison netperf: as TCP_RR over UDP',
  { roundTripsK: TRANSACTIONS / 1e3, syscallsM: (2 * TRANSACTIONS) / 1e6 },
);

export const ping = micro(
  'ping',
  'ICMP echo round trips from the instance to another host',
  'echoes',
  1000,
  'firecracker-microvm/firecracker docs/network-performance.md: ping between two instances; ping sends and receives once per echo',
  { roundTripsK: 1, syscallsM: 2000 / 1e6 },
);

// --- Disk ----------------------------------------------------------------------------------------

const FIO_SEQ_MB = 16384;
const FIO_RANDOM_K = 5000;

export const fioSeqRead = micro(
  'fio-seq-read-1m',
  'fio sequential 1 MiB reads, direct I/O, two in flight',
  'MB',
  FIO_SEQ_MB,
  'thewmf/kvm-docker-comparison fio/results/linux.log seq-read-2: 16 GiB file, bs=1M, iodepth=2',
  { diskSeqReadMB: FIO_SEQ_MB, diskQueueDepth: 2 },
);

export const fioSeqWrite = micro(
  'fio-seq-write-1m',
  'fio sequential 1 MiB writes, direct I/O, sixteen in flight',
  'MB',
  FIO_SEQ_MB,
  'thewmf/kvm-docker-comparison fio/results/linux.log sequential-fill: 16 GiB file, bs=1M, iodepth=16',
  { diskSeqWriteMB: FIO_SEQ_MB, diskQueueDepth: 16 },
);

export const fioRandRead = micro(
  'fio-rand-read-4k',
  'fio random 4 KiB reads, direct I/O, 8 jobs x 16 in flight = 128',
  'I/Os',
  FIO_RANDOM_K * 1e3,
  'thewmf/kvm-docker-comparison fio/results/linux.log random-read-16x8: bs=4K, iodepth=16, 8 jobs',
  { diskRandReadK: FIO_RANDOM_K, diskQueueDepth: 128 },
);

export const fioRandWrite = micro(
  'fio-rand-write-4k',
  'fio random 4 KiB writes, direct I/O, 8 jobs x 16 in flight = 128',
  'I/Os',
  FIO_RANDOM_K * 1e3,
  'thewmf/kvm-docker-comparison fio/results/linux.log random-write-16x8: bs=4K, iodepth=16, 8 jobs',
  { diskRandWriteK: FIO_RANDOM_K, diskQueueDepth: 128 },
);

export const fioRandMixed = micro(
  'fio-rand-mixed-4k',
  'fio random 4 KiB I/O, 70% reads, direct I/O, 8 jobs x 32 in flight = 256',
  'I/Os',
  FIO_RANDOM_K * 1e3,
  'thewmf/kvm-docker-comparison fio/mixed.fio: rw=randrw, rwmixread=70, bs=4K, iodepth=32, numjobs=8',
  { diskRandReadK: FIO_RANDOM_K * 0.7, diskRandWriteK: FIO_RANDOM_K * 0.3, diskQueueDepth: 256 },
);

export const MICRO_WORKLOADS: readonly WorkloadProfile[] = [
  linpack,
  streamTriad,
  streamCopy,
  randomAccess,
  nuttcp,
  iperf,
  netperfTcpRr,
  netperfUdpRr,
  ping,
  fioSeqRead,
  fioSeqWrite,
  fioRandRead,
  fioRandWrite,
  fioRandMixed,
  syscallBound,
  sysbenchCpu,
];

// --- Application workloads: compositions of micro-benchmark operations ---------------------------

/** So many of one micro-benchmark's operations per request, and why. */
export interface Part {
  readonly of: WorkloadProfile;
  readonly perRequest: number;
  readonly why: string;
}

const TERMS = Object.keys(NO_WORK).filter((k) => k !== 'threads' && k !== 'diskQueueDepth') as (keyof Terms)[];

/**
 * A workload made of micro-benchmark operations: each part contributes its profile's terms per
 * operation (the profile's run divided by its units), times the operations per request.
 */
export function compose(id: string, description: string, requests: number, parts: readonly Part[]): WorkloadProfile {
  const workload: Record<string, number> = { ...NO_WORK };
  for (const part of parts) {
    const scale = (part.perRequest * requests) / part.of.units;
    for (const term of TERMS) workload[term]! += (part.of.workload[term] as number) * scale;
    workload.threads = Math.max(workload.threads!, part.of.workload.threads);
    workload.diskQueueDepth = Math.max(workload.diskQueueDepth!, part.of.workload.diskQueueDepth);
  }
  const source = `composed, per request: ${parts.map((p) => `${formatCount(p.perRequest)} x ${p.of.id} (${p.why})`).join(' + ')}`;
  return {
    id,
    kind: 'application',
    description,
    unit: 'requests',
    units: requests,
    source,
    workload: { name: id, ...(workload as Omit<Workload, 'name'>) },
  };
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(3);
}

const REQUESTS = 100000;
/** Connections of the many-connection key-value case: requests from the others fill each wait. */
export const KV_MANY_CONNECTIONS = 128;

export const kvGetOneConnection = compose(
  'kv-get-1conn',
  'A key-value store serving GETs to one client connection: each GET waits for the previous reply, so round trips bound it',
  REQUESTS,
  [
    { of: netperfTcpRr, perRequest: 1, why: 'the GET and its reply, with the receive and send that carry them' },
    { of: randomAccess, perRequest: 1, why: 'the hash-table probe for the key' },
  ],
);

export const kvGetManyConnections = compose(
  'kv-get-128conn',
  `A key-value store serving GETs to ${KV_MANY_CONNECTIONS} client connections: round trips overlap, so packets, system calls and lookups bound it`,
  REQUESTS,
  [
    {
      of: netperfTcpRr,
      perRequest: 1 / KV_MANY_CONNECTIONS,
      why: `the round trip, overlapped with ${KV_MANY_CONNECTIONS - 1} others`,
    },
    {
      of: syscallBound,
      perRequest: 2 * (1 - 1 / KV_MANY_CONNECTIONS),
      why: 'the rest of the receive and send each GET makes',
    },
    // Back-to-back requests keep the path busy, so its per-packet cost adds up instead of hiding in latency.
    {
      of: nuttcp,
      perRequest: (2 * TCP_PAYLOAD_BYTES) / 1e6,
      why: 'the request and reply, one packet each through the network path',
    },
    { of: randomAccess, perRequest: 1, why: 'the hash-table probe for the key' },
  ],
);

/** sysbench oltp_read_only: 10 point selects and 4 range selects per transaction. */
const OLTP_QUERIES = 14;
/** B-tree levels a lookup descends: a table of 10 million rows with about 100 keys per page, ceil(log100(1e7)). */
const OLTP_TREE_LEVELS = Math.ceil(Math.log(1e7) / Math.log(100));

export const oltpReadOnly = compose(
  'oltp-read-only',
  'An OLTP read-only database (sysbench oltp_read_only) with its data in the buffer pool: 14 queries per transaction from one client',
  REQUESTS,
  [
    { of: netperfTcpRr, perRequest: OLTP_QUERIES, why: 'one request/response per query from the client' },
    {
      of: randomAccess,
      perRequest: OLTP_QUERIES * OLTP_TREE_LEVELS,
      why: 'a B-tree descent per query, one cache miss per level',
    },
  ],
);

export const httpServer = compose(
  'http-server',
  'An HTTP server answering small requests on new connections: a handshake and a request per page, served from the page cache',
  REQUESTS,
  [
    { of: netperfTcpRr, perRequest: 2, why: 'the TCP handshake and the request/response' },
    { of: syscallBound, perRequest: 3, why: 'accept, close and epoll_wait beside the receive and send' },
    { of: nuttcp, perRequest: TCP_PAYLOAD_BYTES / 1e6, why: 'a page that fills one full-size segment' },
    { of: randomAccess, perRequest: 1, why: 'the page-cache lookup of the file' },
  ],
);

export const APPLICATION_WORKLOADS: readonly WorkloadProfile[] = [
  kvGetOneConnection,
  kvGetManyConnections,
  oltpReadOnly,
  httpServer,
];

export const BUILTIN_WORKLOADS: readonly WorkloadProfile[] = [...MICRO_WORKLOADS, ...APPLICATION_WORKLOADS];

export function findWorkload(id: string): WorkloadProfile | undefined {
  return BUILTIN_WORKLOADS.find((w) => w.id === id);
}

export function workloadIds(): string[] {
  return BUILTIN_WORKLOADS.map((w) => w.id);
}
