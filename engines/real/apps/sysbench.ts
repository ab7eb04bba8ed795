import { type AppFigures, type CommandApp, required } from './app.js';

/**
 * sysbench 1.0 inside the instance, one thread, time-based: cpu (primes up to 10000 per event),
 * memory (1 MiB block writes) and fileio (random reads and writes with sysbench's periodic
 * fsync over 4 files of 16 MiB in the instance's working directory).
 */

const FILEIO = ['--file-total-size=64M', '--file-num=4'];

const TESTS: Readonly<Record<string, { test: string; options: readonly string[]; operation: string }>> = {
  'sysbench-cpu': { test: 'cpu', options: ['--cpu-max-prime=10000'], operation: 'prime-search events' },
  'sysbench-memory': {
    test: 'memory',
    options: ['--memory-block-size=1M', '--memory-total-size=1T', '--memory-oper=write'],
    operation: '1 MiB memory block writes',
  },
  'sysbench-fileio': {
    test: 'fileio',
    options: [...FILEIO, '--file-test-mode=rndrw'],
    operation: 'file reads, writes and fsyncs',
  },
};

export const sysbenchApp: CommandApp = {
  kind: 'command',
  workloads: Object.keys(TESTS),
  packages: ['sysbench'],
  tools: ['sysbench'],
  hostPaths: ['/usr', '/lib', '/lib64'],
  dimension: 'overhead_cpu',
  operation: (workload) => TESTS[workload]?.operation ?? 'events',
  notes: (workload) => [
    `${workload}: sysbench ${TESTS[workload]?.test}, one thread${workload === 'sysbench-fileio' ? ', 64 MiB in 4 files, buffered I/O with sysbench fsync every 100 requests' : ''}`,
  ],
  steps: (workload, _dir, tools, run) => {
    const { test, options } = TESTS[workload] ?? TESTS['sysbench-cpu']!;
    const sysbench = tools.sysbench!;
    const measured = [
      sysbench,
      test,
      '--threads=1',
      `--time=${run.seconds}`,
      '--events=0',
      '--histogram=on',
      '--percentile=99',
      ...options,
      'run',
    ];
    if (test !== 'fileio') return [measured];
    return [[sysbench, 'fileio', ...FILEIO, 'prepare'], measured, [sysbench, 'fileio', ...FILEIO, 'cleanup']];
  },
  resultStep: (workload) => (workload === 'sysbench-fileio' ? 1 : 0),
  parse: (_workload, output) => parseSysbench(output),
};

/**
 * Events over total time, and the median and 99th percentile of its latency histogram
 * (--histogram=on; values in ms): the same histogram sysbench's own percentile line reads.
 */
export function parseSysbench(output: string): AppFigures {
  const events = output.match(/total number of events:\s+(\d+)/);
  const time = output.match(/total time:\s+([\d.]+)s/);
  const buckets: { valueMs: number; count: number }[] = [];
  for (const line of output.matchAll(/^\s+([\d.]+) \|[* ]*\s(\d+)\s*$/gm))
    buckets.push({ valueMs: Number(line[1]), count: Number(line[2]) });
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const percentile = (p: number): number | undefined => {
    if (total === 0) return undefined;
    let seen = 0;
    for (const bucket of buckets) {
      seen += bucket.count;
      if (seen >= (p / 100) * total) return bucket.valueMs * 1000;
    }
    return undefined;
  };
  const seconds = required(time ? Number(time[1]) : undefined, 'total time', 'sysbench');
  return {
    throughput: required(events ? Number(events[1]) : undefined, 'total number of events', 'sysbench') / seconds,
    latencyUs: required(percentile(50), 'latency histogram', 'sysbench'),
    latencyP99Us: required(percentile(99), 'latency histogram', 'sysbench'),
  };
}
