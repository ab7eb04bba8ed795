/**
 * The metric catalogue: every metric id an engine can report, its family, unit, meaning and
 * which direction is better. Scenarios, runs, gates and reports all read it.
 */
/** The metric families a scenario can ask for; each expands to one or more metric ids. */
export const METRIC_FAMILIES = [
  'boot_time',
  'image_size',
  'density',
  'overhead',
  'isolation',
  'boot_storm',
  'density_curve',
  'neighbours',
] as const;
export type MetricFamily = (typeof METRIC_FAMILIES)[number];

export interface MetricInfo {
  readonly family: MetricFamily;
  readonly unit: string;
  readonly description: string;
  /** Whether a smaller value is better, for charts and regression direction. */
  readonly lowerIsBetter: boolean;
}

const FIXED: Readonly<Record<string, MetricInfo>> = {
  boot_time: {
    family: 'boot_time',
    unit: 'ms',
    description: 'Time from start request to application ready, the sum of its phases',
    lowerIsBetter: true,
  },
  teardown_time: {
    family: 'boot_time',
    unit: 'ms',
    description:
      'Time from application ready to the instance having exited (real drivers; spawn to exit is boot_time + teardown_time)',
    lowerIsBetter: true,
  },
  image_size: {
    family: 'image_size',
    unit: 'MiB',
    description: 'What one instance boots from, as stored on the host',
    lowerIsBetter: true,
  },
  'image_size.compressed': {
    family: 'image_size',
    unit: 'MiB',
    description: 'Registry (compressed) size of a container image',
    lowerIsBetter: true,
  },
  'image_size.fleet': {
    family: 'image_size',
    unit: 'MiB',
    description: "Storage for the scenario's fleet of instances, sharing what can be shared",
    lowerIsBetter: true,
  },
  density: {
    family: 'density',
    unit: 'instances',
    description: 'Instances that fit on the host: the minimum over memory, CPU and storage',
    lowerIsBetter: false,
  },
  'density.memory': {
    family: 'density',
    unit: 'instances',
    description: 'Instances host memory alone allows',
    lowerIsBetter: false,
  },
  'density.cpu': {
    family: 'density',
    unit: 'instances',
    description: 'Instances host CPU alone allows',
    lowerIsBetter: false,
  },
  'density.storage': {
    family: 'density',
    unit: 'instances',
    description: 'Instances host storage alone allows',
    lowerIsBetter: false,
  },
  'density.memory_per_instance': {
    family: 'density',
    unit: 'MiB',
    description:
      'Host memory one instance holds (resident): the guest pages a VM touched plus its VMM, or a container working set plus its shim',
    lowerIsBetter: true,
  },
  'density.memory_reserved': {
    family: 'density',
    unit: 'MiB',
    description:
      "Host memory one instance's configuration claims: guest RAM plus the VMM, or a container's memory limit (its resident memory when it has none) plus its shim",
    lowerIsBetter: true,
  },
  overhead_cpu: {
    family: 'overhead',
    unit: '%',
    description: 'Compute and system calls, percent slower than native',
    lowerIsBetter: true,
  },
  overhead_memory: {
    family: 'overhead',
    unit: '%',
    description: 'Memory bandwidth and random access, percent slower than native',
    lowerIsBetter: true,
  },
  overhead_disk: {
    family: 'overhead',
    unit: '%',
    description: 'Sequential and random disk I/O, percent slower than native',
    lowerIsBetter: true,
  },
  overhead_network: {
    family: 'overhead',
    unit: '%',
    description: 'Bulk transfer and request/response, percent slower than native',
    lowerIsBetter: true,
  },
  overhead_syscall: {
    family: 'overhead',
    unit: '%',
    description:
      'System calls alone, percent slower than native (real drivers measure it apart; overhead_cpu includes it)',
    lowerIsBetter: true,
  },
  overhead_total: {
    family: 'overhead',
    unit: '%',
    description: 'The whole workload, percent slower than native',
    lowerIsBetter: true,
  },
  throughput: {
    family: 'overhead',
    unit: 'ops/s',
    description: 'Operations per second the workload completes (details.throughput names the operation)',
    lowerIsBetter: false,
  },
  latency: {
    family: 'overhead',
    unit: 'µs',
    description: 'Median latency of one operation',
    lowerIsBetter: true,
  },
  'latency.p99': {
    family: 'overhead',
    unit: 'µs',
    description: '99th-percentile latency of one operation',
    lowerIsBetter: true,
  },
  isolation: {
    family: 'isolation',
    unit: 'instances',
    description: 'Instances one fault in the kernel an instance talks to takes down',
    lowerIsBetter: true,
  },
  'isolation.shared_kernel': {
    family: 'isolation',
    unit: 'flag',
    description: '1 when instances make system calls into the shared host kernel',
    lowerIsBetter: true,
  },
  boot_storm: {
    family: 'boot_storm',
    unit: 'ms',
    description: 'Boot storm (scenario storm: block): time from the first start until every instance is ready',
    lowerIsBetter: true,
  },
  'boot_storm.p50': {
    family: 'boot_storm',
    unit: 'ms',
    description: 'Boot storm: median per-instance boot latency, from its own start to ready',
    lowerIsBetter: true,
  },
  'boot_storm.p99': {
    family: 'boot_storm',
    unit: 'ms',
    description: 'Boot storm: 99th-percentile per-instance boot latency',
    lowerIsBetter: true,
  },
  'boot_storm.guest_p50': {
    family: 'boot_storm',
    unit: 'ms',
    description:
      "Boot storm, VMs: median time from the guest's first instruction (firmware or kernel) to the workload starting",
    lowerIsBetter: true,
  },
  'boot_storm.guest_p99': {
    family: 'boot_storm',
    unit: 'ms',
    description: "Boot storm, VMs: 99th-percentile time from the guest's first instruction to the workload starting",
    lowerIsBetter: true,
  },
  'boot_storm.rate': {
    family: 'boot_storm',
    unit: 'instances/s',
    description: 'Boot storm: instances ready per second over the whole storm',
    lowerIsBetter: false,
  },
  'boot_storm.rate_per_core': {
    family: 'boot_storm',
    unit: 'instances/s/core',
    description: 'Boot storm: instances ready per second per physical host core',
    lowerIsBetter: false,
  },
  'boot_storm.ready_per_second': {
    family: 'boot_storm',
    unit: 'instances/s',
    description:
      'Boot storm: instances ready per second over time, one sample per time bucket (samples in the JSON result)',
    lowerIsBetter: false,
  },
  density_curve: {
    family: 'density_curve',
    unit: 'instances',
    description:
      'Density to failure (real drivers): idle instances running when a stop condition was met; the detail names it',
    lowerIsBetter: false,
  },
  'density_curve.instances': {
    family: 'density_curve',
    unit: 'instances',
    description:
      'Density to failure: instances running after each batch (the x of the curve; samples in the JSON result)',
    lowerIsBetter: false,
  },
  'density_curve.pss_per_instance': {
    family: 'density_curve',
    unit: 'MiB',
    description: 'Density to failure: proportional set size per instance after each batch',
    lowerIsBetter: true,
  },
  'density_curve.private_per_instance': {
    family: 'density_curve',
    unit: 'MiB',
    description: 'Density to failure: pages only one instance maps, per instance, after each batch',
    lowerIsBetter: true,
  },
  'density_curve.shared_per_instance': {
    family: 'density_curve',
    unit: 'MiB',
    description: "Density to failure: each instance's share of pages it maps with others, after each batch",
    lowerIsBetter: true,
  },
  'density_curve.mem_available': {
    family: 'density_curve',
    unit: 'MiB',
    description: "Density to failure: the host's MemAvailable after each batch",
    lowerIsBetter: false,
  },
  'density_curve.start_latency': {
    family: 'density_curve',
    unit: 'ms',
    description: 'Density to failure: median start latency of each batch',
    lowerIsBetter: true,
  },
  'density_curve.pss_per_instance_ksm': {
    family: 'density_curve',
    unit: 'MiB',
    description: 'Density to failure: proportional set size per instance once same-page merging (KSM) settled',
    lowerIsBetter: true,
  },
  'density_curve.ksm_saved': {
    family: 'density_curve',
    unit: 'MiB',
    description: 'Density to failure: memory same-page merging (KSM) saved over all instances',
    lowerIsBetter: false,
  },
  'neighbours.solo_p99': {
    family: 'neighbours',
    unit: 'µs',
    description: "Noisy neighbours (real drivers): the victim's p99 GET latency with no aggressor beside it",
    lowerIsBetter: true,
  },
  'neighbours.cpu': {
    family: 'neighbours',
    unit: 'x',
    description:
      "Noisy neighbours: the victim's p99 GET latency beside a CPU hog (two busy loops) of the same engine, over its p99 alone",
    lowerIsBetter: true,
  },
  'neighbours.cpu_limited': {
    family: 'neighbours',
    unit: 'x',
    description:
      'Noisy neighbours: the same with the aggressor in a cgroup (0.5 CPU, 64 MiB, 32 pids, 8 MiB/s direct writes)',
    lowerIsBetter: true,
  },
  'neighbours.memory': {
    family: 'neighbours',
    unit: 'x',
    description:
      "Noisy neighbours: the victim's p99 GET latency beside a memory-bandwidth hog (dd through 32 MiB buffers) of the same engine, over its p99 alone",
    lowerIsBetter: true,
  },
  'neighbours.memory_limited': {
    family: 'neighbours',
    unit: 'x',
    description:
      'Noisy neighbours: the same with the aggressor in a cgroup (0.5 CPU, 64 MiB, 32 pids, 8 MiB/s direct writes)',
    lowerIsBetter: true,
  },
  'neighbours.disk': {
    family: 'neighbours',
    unit: 'x',
    description:
      "Noisy neighbours: the victim's p99 GET latency beside a disk writer (direct 1 MiB writes with fsync) of the same engine, over its p99 alone",
    lowerIsBetter: true,
  },
  'neighbours.disk_limited': {
    family: 'neighbours',
    unit: 'x',
    description:
      'Noisy neighbours: the same with the aggressor in a cgroup (0.5 CPU, 64 MiB, 32 pids, 8 MiB/s direct writes)',
    lowerIsBetter: true,
  },
  'neighbours.fork': {
    family: 'neighbours',
    unit: 'x',
    description:
      "Noisy neighbours: the victim's p99 GET latency beside a bounded fork flood of the same engine, over its p99 alone",
    lowerIsBetter: true,
  },
  'neighbours.fork_limited': {
    family: 'neighbours',
    unit: 'x',
    description:
      'Noisy neighbours: the same with the aggressor in a cgroup (0.5 CPU, 64 MiB, 32 pids, 8 MiB/s direct writes)',
    lowerIsBetter: true,
  },
  'neighbours.panic_contained': {
    family: 'neighbours',
    unit: 'flag',
    description:
      'Fault blast radius (VMs): 1 when a guest kernel panic ended only its own VMM and the neighbouring VM kept answering',
    lowerIsBetter: false,
  },
};

/** Metrics whose samples are a series in order (one per batch or time bucket), not repetitions. */
export const SERIES_METRICS: Readonly<Record<string, { readonly x: string }>> = {
  'density_curve.instances': { x: 'batch' },
  'density_curve.pss_per_instance': { x: 'density_curve.instances' },
  'density_curve.private_per_instance': { x: 'density_curve.instances' },
  'density_curve.shared_per_instance': { x: 'density_curve.instances' },
  'density_curve.mem_available': { x: 'density_curve.instances' },
  'density_curve.start_latency': { x: 'density_curve.instances' },
};

/** What a metric id means. Boot phases (boot_time.<phase>) are open-ended, so they are derived. */
export function metricInfo(metric: string): MetricInfo {
  const fixed = FIXED[metric];
  if (fixed) return fixed;
  if (metric.startsWith('boot_time.')) {
    return {
      family: 'boot_time',
      unit: 'ms',
      description: `Boot phase ${metric.slice('boot_time.'.length)}`,
      lowerIsBetter: true,
    };
  }
  throw new Error(`unknown metric id "${metric}"`);
}

export function isKnownMetric(metric: string): boolean {
  return Object.hasOwn(FIXED, metric) || /^boot_time\.[a-z][a-z0-9_]*$/.test(metric);
}

export function fixedMetricIds(): string[] {
  return Object.keys(FIXED);
}

/**
 * Metric ids in report order: families in catalogue order, the headline metric of each family
 * first, then its parts in the order the engine produced them (boot phases run in time order).
 */
export function orderedMetrics(metrics: readonly string[]): string[] {
  const familyRank = (m: string): number => METRIC_FAMILIES.indexOf(metricInfo(m).family);
  const isHeadline = (m: string): boolean => m === metricInfo(m).family;
  return metrics
    .map((metric, index) => ({ metric, index }))
    .sort((a, b) => {
      const byFamily = familyRank(a.metric) - familyRank(b.metric);
      if (byFamily !== 0) return byFamily;
      const byHeadline = Number(isHeadline(b.metric)) - Number(isHeadline(a.metric));
      return byHeadline !== 0 ? byHeadline : a.index - b.index;
    })
    .map((entry) => entry.metric);
}
