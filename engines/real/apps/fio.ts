import { join } from 'node:path';
import { type AppFigures, type CommandApp, required } from './app.js';

/**
 * fio inside the instance, one job, synchronous I/O (psync, one I/O in flight), time-based,
 * on a 64 MiB file in the instance's working directory.
 *
 * Cache setting: buffered I/O with --invalidate=0, natively and in every engine. fio's default
 * drops the file's page cache before the job, which gVisor ignores and a VM does in its own
 * kernel only, so the comparison would differ in what it measures; direct I/O is not offered by
 * every engine's file path (tmpfs, gVisor's gofer). With --invalidate=0 every engine reads the
 * file fio has just laid out from its page cache, and writes land in it: the figures are the cost
 * of the I/O path through the instance's kernel and file system, not of the device.
 */

export const FIO_CACHE_SETTING =
  'buffered I/O, --invalidate=0 (page cache kept, the same natively and in every engine)';

const JOBS: Readonly<Record<string, { rw: string; bs: string; direction: 'read' | 'write'; operation: string }>> = {
  'fio-seq-read-1m': { rw: 'read', bs: '1M', direction: 'read', operation: '1 MiB sequential reads' },
  'fio-rand-read-4k': { rw: 'randread', bs: '4k', direction: 'read', operation: '4 KiB random reads' },
  'fio-rand-write-4k': { rw: 'randwrite', bs: '4k', direction: 'write', operation: '4 KiB random writes' },
};

export const fioApp: CommandApp = {
  kind: 'command',
  workloads: Object.keys(JOBS),
  packages: ['fio'],
  tools: ['fio'],
  hostPaths: ['/usr', '/lib', '/lib64'],
  dimension: 'overhead_disk',
  operation: (workload) => JOBS[workload]?.operation ?? 'I/Os',
  notes: (workload) => [`${workload}: fio psync, one job, 64 MiB file; ${FIO_CACHE_SETTING}`],
  steps: (workload, dir, tools, run) => {
    const job = JOBS[workload] ?? JOBS['fio-seq-read-1m']!;
    return [
      [
        tools.fio!,
        `--name=${workload}`,
        `--filename=${join(dir, 'fio.dat')}`,
        '--size=64M',
        `--rw=${job.rw}`,
        `--bs=${job.bs}`,
        '--ioengine=psync',
        '--invalidate=0',
        '--time_based',
        `--runtime=${run.seconds}`,
        '--output-format=json',
      ],
    ];
  },
  resultStep: () => 0,
  parse: (workload, output) => parseFioJson(output, JOBS[workload]?.direction ?? 'read'),
};

interface FioDirection {
  readonly iops?: number;
  readonly clat_ns?: { readonly percentile?: Readonly<Record<string, number>> };
}

/** IOPS and completion-latency percentiles (ns) of the first job's read or write side. */
export function parseFioJson(output: string, direction: 'read' | 'write'): AppFigures {
  // fio may print notices before the JSON document.
  const start = output.indexOf('{');
  if (start < 0) throw new Error('fio output has no JSON document');
  const report = JSON.parse(output.slice(start)) as { jobs?: Record<string, FioDirection>[] };
  const side = report.jobs?.[0]?.[direction];
  const percentile = (p: string): number | undefined => {
    const ns = side?.clat_ns?.percentile?.[p];
    return ns === undefined ? undefined : ns / 1000;
  };
  return {
    throughput: required(side?.iops, `${direction} iops`, 'fio'),
    latencyUs: required(percentile('50.000000'), 'clat 50th percentile', 'fio'),
    latencyP99Us: required(percentile('99.000000'), 'clat 99th percentile', 'fio'),
  };
}
