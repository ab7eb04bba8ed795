import { assumed } from '../param.js';
import type { Cell, Param, Workload } from '../types.js';
import {
  effectiveCpuFraction,
  networkPath,
  TCP_PAYLOAD_BYTES,
  usableThreads,
  WIRE_BYTES_PER_FRAME,
} from './overhead.js';
import { isVmKind, type ModeledEngineSpec } from './params.js';

/**
 * Capacity of a request/response service: how many requests per second it answers and how long
 * each takes, for a closed loop of `clients` that each send the next request when the reply comes.
 *
 * The throughput is the least of three bounds (asymptotic bounds of a closed queueing network):
 * - latency: `clients` requests in flight, each taking the no-load round trip, so clients ÷ round
 *   trip. It binds while the server and the wire have room to spare.
 * - server CPU: the server's threads, each busy for the CPU one request costs in the engine (the
 *   application's own CPU plus what the engine adds per system call, per cache-missing access,
 *   per unit of compute and per packet). The engine's packet path runs on one thread of its own
 *   (a vhost or VMM I/O thread, the netstack), so it also caps throughput at 1 ÷ its time per
 *   request, however many threads the server has.
 * - link: the bytes one request puts on the wire, each direction apart (Ethernet is full duplex).
 * Latency then follows from Little's law: clients ÷ throughput is the mean time per request.
 */

/** What the engine adds to each of the service's operations: the engine's side of the mechanism. */
export interface RequestPathCosts {
  /** Extra time per unit of the server's CPU (exits, scheduling of the VMM). */
  readonly cpuFraction: number;
  readonly syscallExtraNs: number;
  readonly randomAccessExtraNs: number;
  /** Serial CPU per packet in the engine's network path, µs. */
  readonly packetUs: number;
  readonly roundTripExtraUs: number;
  /** vCPUs that cap the server's threads; undefined when the server runs on the host's threads. */
  readonly vcpus?: number;
}

/** Native: the application's own costs and nothing more. */
export const NATIVE_PATH: RequestPathCosts = {
  cpuFraction: 0,
  syscallExtraNs: 0,
  randomAccessExtraNs: 0,
  packetUs: 0,
  roundTripExtraUs: 0,
};

/** The engine's costs in this cell, with the network path it takes there. */
export function engineRequestPath(engine: ModeledEngineSpec, cell: Cell): RequestPathCosts {
  const path = networkPath(engine, cell);
  return {
    cpuFraction: effectiveCpuFraction(engine, cell),
    syscallExtraNs: engine.costs.syscallExtraNs.value,
    randomAccessExtraNs: engine.costs.randomAccessExtraNs.value,
    packetUs: path.packetUs,
    roundTripExtraUs: path.roundTripExtraUs,
    ...(isVmKind(engine.kind) ? { vcpus: cell.options.vcpus } : {}),
  };
}

/** Bytes each frame adds to its TCP payload on the wire: headers, frame check, preamble and gap. */
export const FRAME_OVERHEAD_BYTES = WIRE_BYTES_PER_FRAME - TCP_PAYLOAD_BYTES;

/**
 * How the response time spreads around its mean. The bounds give the mean only; the tail needs a
 * distribution, which no row of the calibration set measures, so it is assumed: the wait in the
 * queue beyond the no-load time is exponentially distributed (the waiting time of an M/M/1 queue)
 * with the mean Little's law gives. Its median is ln 2 and its 99th percentile ln 100 times that
 * mean. Below the knee there is no queue, so every operation takes the no-load time.
 */
export const P99_WAIT_MULTIPLE: Param = assumed(
  Math.log(100),
  "the queueing wait is exponential (M/M/1 waiting time) with the mean of Little's law: its 99th percentile is ln 100 = 4.61 times the mean",
);
export const MEDIAN_WAIT_MULTIPLE: Param = assumed(
  Math.LN2,
  "the queueing wait is exponential (M/M/1 waiting time) with the mean of Little's law: its median is ln 2 = 0.693 times the mean",
);

/** Per-operation latency of a closed loop: the mean by Little's law, median and p99 by the wait's assumed spread. */
export interface Latency {
  readonly meanUs: number;
  readonly medianUs: number;
  readonly p99Us: number;
}

/** `inFlight` operations at `throughput` per second, each at least `noLoadUs` long. */
export function closedLoopLatency(inFlight: number, throughput: number, noLoadUs: number): Latency {
  const meanUs = (inFlight / throughput) * 1e6;
  const waitUs = Math.max(0, meanUs - noLoadUs);
  return {
    meanUs,
    medianUs: noLoadUs + MEDIAN_WAIT_MULTIPLE.value * waitUs,
    p99Us: noLoadUs + P99_WAIT_MULTIPLE.value * waitUs,
  };
}

export type CapacityBound = 'latency' | 'server CPU' | 'network path' | 'link';

export interface Capacity extends Latency {
  /** Segments of one request and of its response, and all packets one request costs. */
  readonly requestSegments: number;
  readonly responseSegments: number;
  readonly packets: number;
  /** The server's CPU for one request in the engine, µs of one thread, without the packet path. */
  readonly serviceUs: number;
  /** The engine's packet path for one request, µs of its one thread. */
  readonly pathUs: number;
  /** One request alone: network round trips, service and transfer, µs. */
  readonly noLoadUs: number;
  /** The part of noLoadUs spent on the network: round trips and transfer, µs. */
  readonly networkUs: number;
  /** Each bound, requests per second. */
  readonly bounds: Readonly<Record<CapacityBound, number>>;
  readonly binding: CapacityBound;
  /** Requests per second. */
  readonly throughput: number;
}

/** Whether a workload describes a request/response service that the capacity model applies to. */
export function isRequestWorkload(w: Workload): boolean {
  return w.clients !== undefined;
}

/** Segments a message of `bytes` takes: full segments of the MSS, and at least one. */
export function segments(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / TCP_PAYLOAD_BYTES));
}

/** The service's capacity on the cell's hardware, with the engine's costs on its path. */
export function requestCapacity(cell: Cell, costs: RequestPathCosts): Capacity {
  const w = cell.workload;
  const hw = cell.hardware;
  const clients = Math.max(1, w.clients ?? 1);
  const operations = w.operations ?? 1;
  const perRequest = (millions: number, scale: number): number => (millions * scale) / operations;
  const syscalls = perRequest(w.syscallsM, 1e6);
  const accesses = perRequest(w.randomAccessesM, 1e6);
  // Every request crosses the network at least once; a new connection's handshake is another round trip.
  const roundTrips = Math.max(1, perRequest(w.roundTripsK, 1e3));
  const requestBytes = w.requestBytes ?? 0;
  const responseBytes = w.responseBytes ?? 0;

  // Every round trip carries at least one packet each way (a new connection's SYN and SYN-ACK);
  // bigger messages take full segments of the MSS.
  const requestSegments = Math.max(roundTrips, segments(requestBytes));
  const responseSegments = Math.max(roundTrips, segments(responseBytes));
  const packets = requestSegments + responseSegments;

  const serviceUs =
    (w.serverCpuUs ?? 0) * (1 + costs.cpuFraction) +
    (syscalls * costs.syscallExtraNs + accesses * costs.randomAccessExtraNs) * 1e-3;
  const pathUs = packets * costs.packetUs;
  const threads = usableThreads(
    w.serverThreads ?? 1,
    hw,
    costs.vcpus ?? Number.POSITIVE_INFINITY,
    costs.vcpus !== undefined,
  );

  const linkBytesPerUs = (hw.network.gbits * 1e3) / 8;
  const requestWireBytes = requestBytes + requestSegments * FRAME_OVERHEAD_BYTES;
  const responseWireBytes = responseBytes + responseSegments * FRAME_OVERHEAD_BYTES;
  // The round trip itself (rttUs, roundTripExtraUs) already carries one small packet each way
  // through the wire and the engine's path; bigger messages add their serialisation on the wire
  // and the path cost of their further segments, which stream through both at once.
  const transferUs = (requestWireBytes + responseWireBytes) / linkBytesPerUs;
  const extraPathUs = Math.max(0, packets - 2 * roundTrips) * costs.packetUs;
  const networkUs = roundTrips * (hw.network.rttUs + costs.roundTripExtraUs) + Math.max(transferUs, extraPathUs);
  const noLoadUs = networkUs + serviceUs;

  const bounds: Record<CapacityBound, number> = {
    latency: (clients / noLoadUs) * 1e6,
    'server CPU': serviceUs + pathUs > 0 ? (threads / (serviceUs + pathUs)) * 1e6 : Number.POSITIVE_INFINITY,
    'network path': pathUs > 0 ? 1e6 / pathUs : Number.POSITIVE_INFINITY,
    link: (linkBytesPerUs / Math.max(requestWireBytes, responseWireBytes)) * 1e6,
  };
  let binding: CapacityBound = 'latency';
  for (const bound of Object.keys(bounds) as CapacityBound[]) if (bounds[bound] < bounds[binding]) binding = bound;
  const throughput = bounds[binding];
  return {
    requestSegments,
    responseSegments,
    packets,
    serviceUs,
    pathUs,
    noLoadUs,
    networkUs,
    bounds,
    binding,
    throughput,
    ...closedLoopLatency(clients, throughput, noLoadUs),
  };
}
