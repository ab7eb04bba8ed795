import type { Cell, StormSettings } from '../types.js';
import type { ModeledEngineSpec } from './params.js';
import { simulateStorm } from './storm.js';

export interface StormMeasurement {
  readonly samples: Record<string, number[]>;
  readonly details: Record<string, string>;
  readonly notes: string[];
}

/** A cell's boot storm as metric samples: one storm per cell, so one sample per figure. */
export function stormMeasurement(
  spec: ModeledEngineSpec,
  cell: Cell,
  settings: StormSettings,
  fits: number,
): StormMeasurement {
  const storm = simulateStorm(spec, cell, settings);
  const cores = cell.hardware.cpu.sockets * cell.hardware.cpu.coresPerSocket;
  const percent = Math.round((storm.utilization[storm.busiest] ?? 0) * 100);
  const notes: string[] = [];
  if (storm.instances > fits) {
    notes.push(
      `a storm of ${storm.instances} instances exceeds the ${fits} that fit on ${cell.hardware.id}; it is simulated as if they fit`,
    );
  }
  return {
    samples: {
      boot_storm: [storm.allReadyMs],
      'boot_storm.p50': [storm.latency.p50],
      'boot_storm.p99': [storm.latency.p99],
      ...(storm.guestLatency
        ? { 'boot_storm.guest_p50': [storm.guestLatency.p50], 'boot_storm.guest_p99': [storm.guestLatency.p99] }
        : {}),
      'boot_storm.rate': [storm.readyPerSecond],
      'boot_storm.rate_per_core': [storm.readyPerSecond / cores],
      'boot_storm.ready_per_second': [...storm.timeline.readyPerSecond],
    },
    details: {
      boot_storm: `busiest: ${storm.busiest} ${percent}%`,
      'boot_storm.ready_per_second': `per ${formatBucket(storm.timeline.bucketMs)} bucket from the first start`,
    },
    notes,
  };
}

function formatBucket(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toPrecision(3))} s` : `${Number(ms.toPrecision(3))} ms`;
}
