import { assumed, derived } from './param.js';
import type { Param, Workload } from './types.js';

/**
 * Named workloads a scenario can use with `workload: <id>`.
 *
 * Micro-benchmarks are the published benchmarks of engines/data/published.csv, each written in the
 * model's workload terms: how much compute, memory traffic, random access, system calls, disk and
 * network one run of the benchmark asks for. Their amounts follow from the benchmark's own
 * definition (job files, problem sizes); where a figure comes from a published row, the row id is
 * in the source.
 *
 * Application workloads are services and whole benchmarks. A service (kv-get, http-keepalive, ...)
 * is a closed loop of `clients` sending requests to a server: what one request costs the server
 * natively, its sizes, and how many system calls, cache-missing accesses and round trips it holds,
 * which engines/model/capacity.ts turns into throughput and latency on each engine. Each figure
 * carries its source; the calibration set has no application figures, so most are assumed from
 * the mechanism of the application, with the reasoning beside them.
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

/** A workload that does nothing: every term 0, one thread, queue depth 1. */
export const NO_WORK: Omit<Workload, 'name'> = {
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
  { computeGcycles: 10000 * SYSBENCH_EVENT_GCYCLES, operation: 'events (prime-number loops)', operations: 10000 },
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
  { diskSeqReadMB: FIO_SEQ_MB, diskQueueDepth: 2, operation: '1 MiB reads', operations: FIO_SEQ_MB },
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
  { diskRandReadK: FIO_RANDOM_K, diskQueueDepth: 128, operation: '4 KiB random reads', operations: FIO_RANDOM_K * 1e3 },
);

export const fioRandWrite = micro(
  'fio-rand-write-4k',
  'fio random 4 KiB writes, direct I/O, 8 jobs x 16 in flight = 128',
  'I/Os',
  FIO_RANDOM_K * 1e3,
  'thewmf/kvm-docker-comparison fio/results/linux.log random-write-16x8: bs=4K, iodepth=16, 8 jobs',
  {
    diskRandWriteK: FIO_RANDOM_K,
    diskQueueDepth: 128,
    operation: '4 KiB random writes',
    operations: FIO_RANDOM_K * 1e3,
  },
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

// --- Application workloads: request/response services and whole benchmarks ---------------------

/**
 * A request/response service for the capacity model (engines/model/capacity.ts): what one request
 * costs the server natively and how many of the events an engine adds to (system calls,
 * cache-missing accesses, network round trips) it holds, each figure with where it comes from.
 */
interface ServiceSpec {
  readonly operation: string;
  readonly clients: number;
  readonly serverThreads: Param;
  readonly serverCpuUs: Param;
  readonly requestBytes: Param;
  readonly responseBytes: Param;
  readonly syscalls: Param;
  readonly randomAccesses: Param;
  readonly roundTrips: Param;
}

/** Requests one run of a service workload holds; the capacity model works per request. */
const REQUESTS = 100000;

function service(id: string, description: string, spec: ServiceSpec): WorkloadProfile {
  const cited = (name: string, p: Param): string => `${name} ${formatCount(p.value)} (${p.verified}: ${p.source})`;
  const source = [
    cited('server CPU per request, µs', spec.serverCpuUs),
    cited('server threads', spec.serverThreads),
    cited('request bytes', spec.requestBytes),
    cited('response bytes', spec.responseBytes),
    cited('system calls per request', spec.syscalls),
    cited('cache-missing accesses per request', spec.randomAccesses),
    cited('round trips per request', spec.roundTrips),
  ].join('; ');
  return {
    id,
    kind: 'application',
    description,
    unit: spec.operation,
    units: REQUESTS,
    source,
    workload: {
      name: id,
      ...NO_WORK,
      syscallsM: (spec.syscalls.value * REQUESTS) / 1e6,
      randomAccessesM: (spec.randomAccesses.value * REQUESTS) / 1e6,
      roundTripsK: (spec.roundTrips.value * REQUESTS) / 1e3,
      operation: spec.operation,
      operations: REQUESTS,
      clients: spec.clients,
      serverThreads: spec.serverThreads.value,
      serverCpuUs: spec.serverCpuUs.value,
      requestBytes: spec.requestBytes.value,
      responseBytes: spec.responseBytes.value,
    },
  };
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(3);
}

/**
 * Kernel CPU of one read or write of a small message on a TCP socket, µs: the system call, the
 * socket lock, the copy and the TCP segment it receives or sends, with its softirq. A null system
 * call (HardwareProfile.cpu.syscallNs) is tens of times cheaper; the calibration set has no
 * socket-call figure, so this is assumed.
 */
export const SMALL_SOCKET_CALL_US = assumed(
  2,
  'a small TCP read or write: system call, socket lock, copy, and the TCP/IP work of its one segment with the softirq, about 5000 cycles of a 2.4 GHz core; no row of the calibration set isolates it',
);
/** epoll_wait returning one ready socket, µs. */
export const EPOLL_WAIT_US = assumed(
  0.5,
  'epoll_wait returning one ready event: a system call plus the ready-list walk',
);
/** A system call on a file already in the page cache (openat, fstat, close), µs. */
const FILE_CALL_US = assumed(0.5, 'openat, fstat or close of a cached file: a path or fd-table walk, no I/O');

const value = (p: Param): number => p.value;

/** redis-benchmark's GET and SET: key "key:__rand_int__" (16 bytes) and its 3-byte value "xxx". */
const REDIS_GET_REQUEST_BYTES = assumed(
  37,
  'RESP array *2 $3 GET $16 key:__rand_int__: 37 bytes with its CRLFs (redis-benchmark default key)',
);
const REDIS_SET_REQUEST_BYTES = assumed(46, 'RESP array *3 $3 SET $16 <key> $3 xxx: 46 bytes (redis-benchmark -d 3)');
/** Redis's own work for one command: RESP parsing, the dict lookup, the reply buffer. */
const REDIS_GET_COMMAND_US = assumed(
  2,
  'RESP parse, one dict lookup and the reply: a few thousand cycles of the event loop; Redis runs commands on one thread',
);
const REDIS_SET_COMMAND_US = assumed(2.5, 'as GET plus allocating the key and value objects and replacing the old one');
/** Per Redis request: epoll_wait, one read and one write. */
const REDIS_SYSCALLS = assumed(
  3,
  'epoll_wait, read of the request, write of the reply: the event loop with one ready client',
);
const redisCpu = (command: Param): Param =>
  derived(
    value(EPOLL_WAIT_US) + 2 * value(SMALL_SOCKET_CALL_US) + value(command),
    `epoll_wait ${value(EPOLL_WAIT_US)} + read and write ${value(SMALL_SOCKET_CALL_US)} each + the command ${value(command)} µs`,
  );
const ONE_THREAD = assumed(1, 'Redis executes commands on one thread');
const ONE_ROUND_TRIP = assumed(1, 'no pipelining: one request, then its reply');

export const kvGet = service(
  'kv-get',
  'Redis GET of a 3-byte value, as redis-benchmark -t get drives it without pipelining: `workload.clients` connections, each waiting for its reply',
  {
    operation: 'GET requests',
    clients: 1,
    serverThreads: ONE_THREAD,
    serverCpuUs: redisCpu(REDIS_GET_COMMAND_US),
    requestBytes: REDIS_GET_REQUEST_BYTES,
    responseBytes: assumed(9, 'RESP bulk string $3 xxx: 9 bytes'),
    syscalls: REDIS_SYSCALLS,
    randomAccesses: assumed(1, 'the hash-table probe for the key misses the caches'),
    roundTrips: ONE_ROUND_TRIP,
  },
);

export const kvSet = service(
  'kv-set',
  'Redis SET of a 3-byte value, as redis-benchmark -t set drives it without pipelining: `workload.clients` connections',
  {
    operation: 'SET requests',
    clients: 1,
    serverThreads: ONE_THREAD,
    serverCpuUs: redisCpu(REDIS_SET_COMMAND_US),
    requestBytes: REDIS_SET_REQUEST_BYTES,
    responseBytes: assumed(5, 'RESP simple string +OK: 5 bytes'),
    syscalls: REDIS_SYSCALLS,
    randomAccesses: assumed(2, 'the hash-table probe and the write of the new entry'),
    roundTrips: ONE_ROUND_TRIP,
  },
);

/** wrk's request for "/": request line, Host header and the blank line. */
const WRK_REQUEST_BYTES = assumed(40, 'GET / HTTP/1.1, a Host header and the blank line: wrk sends nothing more');
const NGINX_RESPONSE_BYTES = assumed(
  850,
  "nginx's status line and headers (about 235 bytes) and Debian's 615-byte default index page",
);
/** nginx worker processes; `worker_processes auto` starts one per core. */
const NGINX_WORKERS = assumed(
  4,
  'worker_processes auto starts one per core; four workers on the modeled server (set workload.serverThreads to change it)',
);
const NGINX_HTTP_US = assumed(3, "parsing the request, the location lookup and building the headers: nginx's own work");
const NGINX_KEEPALIVE_SYSCALLS = assumed(
  7,
  'epoll_wait, recv, openat, fstat, writev of the headers, sendfile of the page, close of the file (open_file_cache off)',
);
const nginxKeepaliveCpu = derived(
  value(EPOLL_WAIT_US) + 3 * value(SMALL_SOCKET_CALL_US) + 3 * value(FILE_CALL_US) + value(NGINX_HTTP_US),
  `epoll_wait ${value(EPOLL_WAIT_US)} + recv, writev and sendfile ${value(SMALL_SOCKET_CALL_US)} each + openat, fstat and close ${value(FILE_CALL_US)} each + HTTP ${value(NGINX_HTTP_US)} µs`,
);
/** What a new connection adds: accept4, epoll_ctl, and the close that sends the FIN. */
const NEW_CONNECTION_SYSCALLS = assumed(3, 'accept4, epoll_ctl to watch the socket, close of the connection');
const nginxNewConnectionCpu = derived(
  value(nginxKeepaliveCpu) + 2 * value(SMALL_SOCKET_CALL_US) + value(EPOLL_WAIT_US) + 2 * value(SMALL_SOCKET_CALL_US),
  `keep-alive ${value(nginxKeepaliveCpu)} + accept4 and close ${value(SMALL_SOCKET_CALL_US)} each + epoll_ctl ${value(EPOLL_WAIT_US)} + the SYN and FIN segments the kernel handles, ${value(SMALL_SOCKET_CALL_US)} each µs`,
);

export const httpKeepalive = service(
  'http-keepalive',
  'nginx serving a small static page over kept-alive connections, as wrk drives it: `workload.clients` connections',
  {
    operation: 'HTTP requests',
    clients: 1,
    serverThreads: NGINX_WORKERS,
    serverCpuUs: nginxKeepaliveCpu,
    requestBytes: WRK_REQUEST_BYTES,
    responseBytes: NGINX_RESPONSE_BYTES,
    syscalls: NGINX_KEEPALIVE_SYSCALLS,
    randomAccesses: assumed(1, 'the page-cache lookup of the file'),
    roundTrips: ONE_ROUND_TRIP,
  },
);

const newConnection = (id: string, description: string): WorkloadProfile =>
  service(id, description, {
    operation: 'HTTP requests',
    clients: 1,
    serverThreads: NGINX_WORKERS,
    serverCpuUs: nginxNewConnectionCpu,
    requestBytes: WRK_REQUEST_BYTES,
    responseBytes: NGINX_RESPONSE_BYTES,
    syscalls: derived(
      value(NGINX_KEEPALIVE_SYSCALLS) + value(NEW_CONNECTION_SYSCALLS),
      'the keep-alive calls plus accept4, epoll_ctl and close',
    ),
    randomAccesses: assumed(2, 'the page-cache lookup and the new socket and its connection state'),
    roundTrips: assumed(2, 'the TCP handshake, then the request and its response'),
  });

export const httpNewConnection = newConnection(
  'http-new-connection',
  'nginx serving a small static page on a new TCP connection per request (wrk with Connection: close): a handshake and a request each',
);

/** sysbench oltp_read_only: BEGIN, 10 point selects, 4 range queries of 100 rows, COMMIT. */
const OLTP_STATEMENTS = 16;
/** B-tree levels a lookup descends: a table of 10 million rows with about 100 keys per page, ceil(log100(1e7)). */
const OLTP_TREE_LEVELS = Math.ceil(Math.log(1e7) / Math.log(100));

export const oltpReadOnly = service(
  'oltp-read-only',
  'An OLTP read-only database (sysbench oltp_read_only) with its data in the buffer pool: 16 statements per transaction from each client',
  {
    operation: 'transactions',
    clients: 1,
    serverThreads: assumed(64, 'a thread per connection: the host cores, not the threads, bound it'),
    serverCpuUs: assumed(
      390,
      '10 point selects at about 15 µs and 4 range queries over 100 rows at about 60 µs of server CPU each, with their protocol work; BEGIN and COMMIT are cheap',
    ),
    requestBytes: assumed(OLTP_STATEMENTS * 100, 'about 100 bytes of SQL per statement'),
    responseBytes: assumed(12000, '10 single-row results and 4 of 100 rows (sum and distinct much smaller)'),
    syscalls: assumed(OLTP_STATEMENTS * 3, 'poll or epoll, recv and send per statement'),
    randomAccesses: assumed(
      14 * OLTP_TREE_LEVELS,
      'a B-tree descent per query, one cache miss per level (ceil(log100 1e7) = 4 levels)',
    ),
    roundTrips: assumed(OLTP_STATEMENTS, 'each statement waits for its result'),
  },
);

/**
 * The earlier names of the services, kept so that scenarios that name them keep working: the same
 * workloads at a fixed client count.
 */
function alias(of: WorkloadProfile, id: string, clients: number, description: string): WorkloadProfile {
  return { ...of, id, description, workload: { ...of.workload, name: id, clients } };
}

/** Connections of the many-connection key-value case. */
export const KV_MANY_CONNECTIONS = 128;

export const kvGetOneConnection = alias(kvGet, 'kv-get-1conn', 1, 'kv-get with one client connection');
export const kvGetManyConnections = alias(
  kvGet,
  'kv-get-128conn',
  KV_MANY_CONNECTIONS,
  `kv-get with ${KV_MANY_CONNECTIONS} client connections: round trips overlap, so the server's CPU binds`,
);
export const httpServer = newConnection(
  'http-server',
  'An HTTP server answering small requests on new connections, one client at a time (http-new-connection with one client)',
);

/** sysbench memory with its defaults: each event writes one 1 KiB block of a per-thread buffer. */
const SYSBENCH_MEMORY_EVENT_CYCLES = assumed(
  256,
  'sysbench memory writes its 1 KiB block sequentially; the block stays in the L1 cache, so an event is 1 KiB of stores (32-64 cycles at 16-32 bytes a cycle) plus the event loop around it (timer reads, counters): about 256 cycles',
);
const SYSBENCH_MEMORY_EVENTS = 1e7;

export const sysbenchMemory: WorkloadProfile = {
  id: 'sysbench-memory',
  kind: 'application',
  description:
    'sysbench memory with its defaults (1 KiB blocks, sequential writes, one thread): each event rewrites a block that stays in the cache, so it is user-mode compute',
  unit: '1 KiB block writes',
  units: SYSBENCH_MEMORY_EVENTS,
  source: `cycles per event ${value(SYSBENCH_MEMORY_EVENT_CYCLES)} (assumed: ${SYSBENCH_MEMORY_EVENT_CYCLES.source})`,
  workload: {
    name: 'sysbench-memory',
    ...NO_WORK,
    computeGcycles: (SYSBENCH_MEMORY_EVENTS * value(SYSBENCH_MEMORY_EVENT_CYCLES)) / 1e9,
    operation: '1 KiB block writes',
    operations: SYSBENCH_MEMORY_EVENTS,
  },
};

/**
 * sysbench fileio --file-test-mode=rndrw with its defaults: 128 files of 2 GiB in all, 16 KiB
 * blocks, 1.5 reads per write, synchronous I/O through the page cache, fsync every 100 requests.
 */
const FILEIO_REQUESTS = 1e6;
const FILEIO_BLOCK_BYTES = 16384;
const FILEIO_WRITE_SHARE = 1 / 2.5;
const FILEIO_FSYNC_EVERY = 100;
const FILEIO_FLUSH_DEPTH = assumed(
  16,
  'an fsync hands the file\u2019s dirty blocks to the device together, so several are in flight',
);

export const sysbenchFileio: WorkloadProfile = {
  id: 'sysbench-fileio',
  kind: 'application',
  description:
    'sysbench fileio rndrw with its defaults: random 16 KiB reads and writes (1.5 : 1) through the page cache on 2 GiB of files, fsync every 100 requests; reads hit the cache, each fsync writes the dirty blocks',
  unit: 'file reads and writes',
  units: FILEIO_REQUESTS,
  source:
    'sysbench fileio defaults (file-total-size 2G, file-block-size 16K, file-rw-ratio 1.5, file-fsync-freq 100); ' +
    'assumed: the 2 GiB file set stays in the page cache after prepare, so only writes reach the disk, each 16 KiB block as four 4 KiB writes; ' +
    `flush depth ${value(FILEIO_FLUSH_DEPTH)} (assumed: ${FILEIO_FLUSH_DEPTH.source})`,
  workload: {
    name: 'sysbench-fileio',
    ...NO_WORK,
    syscallsM: (FILEIO_REQUESTS * (1 + 1 / FILEIO_FSYNC_EVERY)) / 1e6,
    memoryGB: (FILEIO_REQUESTS * FILEIO_BLOCK_BYTES * 2) / 1e9,
    diskRandWriteK: (FILEIO_REQUESTS * FILEIO_WRITE_SHARE * (FILEIO_BLOCK_BYTES / 4096)) / 1e3,
    diskQueueDepth: value(FILEIO_FLUSH_DEPTH),
    operation: 'file reads and writes',
    operations: FILEIO_REQUESTS,
  },
};

export const APPLICATION_WORKLOADS: readonly WorkloadProfile[] = [
  kvGet,
  kvSet,
  httpKeepalive,
  httpNewConnection,
  oltpReadOnly,
  sysbenchMemory,
  sysbenchFileio,
  kvGetOneConnection,
  kvGetManyConnections,
  httpServer,
];

export const BUILTIN_WORKLOADS: readonly WorkloadProfile[] = [...MICRO_WORKLOADS, ...APPLICATION_WORKLOADS];

export function findWorkload(id: string): WorkloadProfile | undefined {
  return BUILTIN_WORKLOADS.find((w) => w.id === id);
}

export function workloadIds(): string[] {
  return BUILTIN_WORKLOADS.map((w) => w.id);
}
