import { noiseFactor, type Random } from '../shared/random.js';
import type { Cell, Workload } from '../types.js';
import { closedLoopLatency, engineRequestPath, isRequestWorkload, NATIVE_PATH, requestCapacity } from './capacity.js';
import {
  type DimensionTimes,
  engineTimes,
  nativeTimes,
  OVERHEAD_DIMENSIONS,
  overheadPercent,
  usableThreads,
} from './overhead.js';
import { isVmKind, type ModeledEngineSpec } from './params.js';

/** What the workload's samples come to: samples by metric, and facts about them by metric. */
export interface WorkloadSamples {
  readonly samples: Record<string, number[]>;
  readonly details: Record<string, string>;
}

/**
 * The workload's metrics for one engine, one sample per repetition: overhead per dimension and in
 * total against native, and, when the workload names its operation, absolute throughput and
 * latency. A service (a workload with clients) takes throughput, latency and its total overhead
 * from the capacity model; its CPU and network overheads are the server's CPU per request and the
 * network part of one request's round trip, each against native. Other workloads take them from
 * the time their terms cost, with as many operations in flight as they have threads or queue depth.
 */
export function workloadSamples(spec: ModeledEngineSpec, cell: Cell, random: Random): WorkloadSamples {
  const samples: Record<string, number[]> = {};
  const details: Record<string, string> = {};
  const push = (metric: string, value: number): void => {
    const list = samples[metric] ?? [];
    samples[metric] = list;
    list.push(value);
  };
  const w = cell.workload;
  const native = nativeTimes(cell);
  const engine = engineTimes(spec, cell);
  const service = isRequestWorkload(w)
    ? { native: requestCapacity(cell, NATIVE_PATH), engine: requestCapacity(cell, engineRequestPath(spec, cell)) }
    : undefined;
  if (service) {
    native.cpu = (service.native.serviceUs + service.native.pathUs) * 1e-6;
    engine.cpu = (service.engine.serviceUs + service.engine.pathUs) * 1e-6;
    native.network = service.native.networkUs * 1e-6;
    engine.network = service.engine.networkUs * 1e-6;
  }
  const nativeTotal = OVERHEAD_DIMENSIONS.reduce((sum, d) => sum + native[d], 0);
  const operations = w.operations !== undefined && w.operations > 0 ? w.operations : undefined;
  const oneInFlightUs = operations !== undefined && !service ? oneInFlightMicros(spec, cell, operations) : 0;
  // Threads run one operation each; a disk queue holds its depth in flight whatever the threads.
  const inFlight = Math.max(
    usableThreads(w.threads, cell.hardware, cell.options.vcpus, isVmKind(spec.kind)),
    w.diskQueueDepth,
  );
  const runCov = spec.noise.runCov.value;
  for (let rep = 0; rep < cell.repetitions; rep++) {
    let engineTotal = 0;
    for (const dimension of OVERHEAD_DIMENSIONS) {
      const seconds = engine[dimension] * noiseFactor(random, runCov);
      engineTotal += seconds;
      push(`overhead_${dimension}`, overheadPercent(seconds, native[dimension]));
    }
    if (service) {
      // One draw scales the whole request: every part of it runs on the same noisy host.
      const slower = noiseFactor(random, runCov);
      const throughput = service.engine.throughput / slower;
      push('overhead_total', (service.native.throughput / throughput - 1) * 100);
      push('throughput', throughput);
      push('latency', service.engine.medianUs * slower);
      push('latency.p99', service.engine.p99Us * slower);
    } else {
      push('overhead_total', overheadPercent(engineTotal, nativeTotal));
      if (operations !== undefined && engineTotal > 0) {
        const throughput = operations / engineTotal;
        const latency = closedLoopLatency(inFlight, throughput, oneInFlightUs);
        push('throughput', throughput);
        push('latency', latency.medianUs);
        push('latency.p99', latency.p99Us);
      }
    }
  }
  if (operations !== undefined) details.throughput = w.operation ?? 'operations';
  if (service) details.latency = `${service.engine.binding} binds`;
  return { samples, details };
}

/** Time of one operation with nothing else in flight: the workload on one thread at queue depth one, µs. */
function oneInFlightMicros(spec: ModeledEngineSpec, cell: Cell, operations: number): number {
  const alone: Workload = { ...cell.workload, threads: 1, diskQueueDepth: 1 };
  const times: DimensionTimes = engineTimes(spec, { ...cell, workload: alone });
  return (OVERHEAD_DIMENSIONS.reduce((sum, d) => sum + times[d], 0) / operations) * 1e6;
}
