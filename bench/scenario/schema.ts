import { z } from 'zod';
import { fixedMetricIds, isKnownMetric, METRIC_FAMILIES } from '../../engines/metrics.js';
import {
  ACCELERATOR_CHOICES,
  DRIVERS,
  ENGINE_KINDS,
  GVISOR_PLATFORMS,
  MEMORY_POLICIES,
  NETWORK_MODES,
  OCI_RUNTIMES,
  QEMU_FIRMWARES,
  QEMU_MACHINES,
  SANDBOX_USERS,
  START_MODES,
  VM_BOOT_MODES,
} from '../../engines/types.js';

/**
 * The scenario file format. Keys are camelCase and mirror the engine types one to one, so a
 * sweep path such as hardware.memory.gib addresses the same field in the file and in the model.
 */

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const count = z.number().int().nonnegative();

/** The most samples per metric a run may take: repetitions, and real drivers' boot iterations. */
export const MOST_REPETITIONS = 100_000;

/** The most engine entries a scenario may list: each is a column of every table and chart. */
export const MOST_ENGINES = 256;

/** The most characters of a scenario name, which names its output files (with suffixes such as .shard-12-of-16.json). */
export const MOST_NAME_CHARACTERS = 100;

export const hardwareSchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().default('inline hardware profile'),
  source: z.string().default('defined in the scenario file'),
  cpu: z.strictObject({
    sockets: z.number().int().positive(),
    coresPerSocket: z.number().int().positive(),
    threadsPerCore: z.number().int().positive(),
    ghz: positive,
    virtualization: z.boolean().default(true),
    nestedPaging: z.boolean().default(true),
    syscallNs: positive.default(100),
  }),
  memory: z.strictObject({ gib: positive, bandwidthGBs: positive, randomAccessNs: positive }),
  storage: z.strictObject({
    capacityGiB: positive,
    seqReadMBs: positive,
    seqWriteMBs: positive,
    randReadIops: positive,
    randWriteIops: positive,
    latencyUs: positive,
    readWriteOverlap: z.number().min(0).max(1).optional(),
  }),
  network: z.strictObject({ gbits: positive, rttUs: positive }),
  kernel: z
    .strictObject({
      forkExecUs: positive.optional(),
      namespaceUs: positive.optional(),
      netnsUs: positive.optional(),
      mountUs: positive.optional(),
      cgroupWriteUs: positive.optional(),
      ipcRoundTripUs: positive.optional(),
    })
    .optional()
    .describe("the host kernel's start-up operations, µs each; each left out follows from the CPU"),
});

export const appSchema = z.strictObject({
  name: z.string().min(1).default('web-service'),
  sizeMiB: nonNegative.default(60),
  startMcycles: nonNegative.default(100),
  workingSetMiB: positive.default(64),
  demandCores: nonNegative.default(0.1),
  writtenMiB: nonNegative.default(100),
});

export const workloadSchema = z.strictObject({
  name: z.string().min(1).default('custom'),
  computeGcycles: nonNegative.default(0),
  threads: z.number().int().positive().default(1),
  memoryGB: nonNegative.default(0),
  randomAccessesM: nonNegative.default(0),
  syscallsM: nonNegative.default(0),
  diskSeqReadMB: nonNegative.default(0),
  diskSeqWriteMB: nonNegative.default(0),
  diskRandReadK: nonNegative.default(0),
  diskRandWriteK: nonNegative.default(0),
  diskQueueDepth: z.number().int().positive().default(1),
  networkMB: nonNegative.default(0),
  roundTripsK: nonNegative.default(0),
  operation: z.string().min(1).optional().describe('what one operation is, e.g. "GET requests"'),
  operations: positive
    .optional()
    .describe('operations one run of the terms above holds; with it, throughput and latency'),
  clients: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('closed-loop clients in flight: makes the workload a request/response service'),
  serverThreads: z.number().int().positive().optional().describe('threads serving requests at once (default 1)'),
  serverCpuUs: nonNegative.optional().describe("the server's own CPU per request, µs of one core"),
  requestBytes: z.number().int().nonnegative().optional().describe('bytes of one request'),
  responseBytes: z.number().int().nonnegative().optional().describe('bytes of one response'),
});

/** Settings only real drivers read; each has a default in engines/real/options.ts. */
export const realOptionsSchema = z.strictObject({
  bootWarmup: count.optional().describe('boot iterations run and discarded before sampling (default 3)'),
  bootIterations: z
    .number()
    .int()
    .positive()
    .max(MOST_REPETITIONS)
    .optional()
    .describe('boot samples kept (default: the scenario repetitions)'),
  workloadRepetitions: z
    .number()
    .int()
    .positive()
    .max(MOST_REPETITIONS)
    .optional()
    .describe('runs of each in-instance workload, natively and in the instance (default 3)'),
  densityInstances: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('idle instances started together for density, before the memory budget caps them (default 8)'),
  densityMemoryBudgetMiB: positive
    .optional()
    .describe('memory the density instances may take together, MiB (default: min(25% of MemAvailable, 4096))'),
  densityLimit: z
    .number()
    .int()
    .positive()
    .max(100_000)
    .optional()
    .describe('density to failure: the most instances started (default 200)'),
  densityBatch: z
    .number()
    .int()
    .positive()
    .max(1000)
    .optional()
    .describe('density to failure: instances started per batch (default 4)'),
  densityMemoryFloorMiB: positive
    .optional()
    .describe('density to failure: stop when MemAvailable falls below this, MiB (default max(1024, 10% of MemTotal))'),
  densityStartCeilingMs: positive
    .optional()
    .describe(
      "density to failure: stop when a batch's median start exceeds this, ms (default 10x the first batch's, at least 1000)",
    ),
  timeoutMs: z.number().int().positive().optional().describe('longest one boot or one workload step may take, ms'),
  kernel: z.string().min(1).optional().describe('qemu: guest kernel (bzImage), relative to the scenario file'),
  accelerator: z
    .enum(ACCELERATOR_CHOICES)
    .optional()
    .describe('qemu: KVM when its probe succeeds (auto), or force one'),
  machine: z.enum(QEMU_MACHINES).optional().describe('qemu: machine type (default pc)'),
  firmware: z
    .enum(QEMU_FIRMWARES)
    .optional()
    .describe('qemu: firmware (default seabios; qboot for microvm; none = no firmware, where QEMU allows it)'),
  startMode: z
    .enum(START_MODES)
    .optional()
    .describe('what each boot_time sample includes: warm (default), cold, image-inclusive or restore'),
  runtime: z.enum(OCI_RUNTIMES).optional().describe('podman, docker: the OCI runtime of the containers (default runc)'),
  platform: z
    .enum(GVISOR_PLATFORMS)
    .optional()
    .describe('runsc: gVisor platform (default: the best this host runs: systrap, kvm, then ptrace)'),
  user: z
    .enum(SANDBOX_USERS)
    .optional()
    .describe('bwrap: run as root or as an unprivileged user (nobody) in a user namespace (default root, as root)'),
});

const optionFields = {
  memoryMiB: z.number().int().positive(),
  memoryLimitMiB: positive.describe('containers, sandboxes and processes: the cgroup memory limit, MiB (default none)'),
  vcpus: z.number().int().positive(),
  image: z.string().min(1),
  imageCached: z.boolean(),
  network: z.enum(NETWORK_MODES),
  pinning: z.boolean(),
  linkedClones: z.boolean(),
  boot: z.enum(VM_BOOT_MODES).describe('VMs: firmware and boot loader, or the VMM entering the kernel directly'),
  real: realOptionsSchema,
  platform: z.enum(GVISOR_PLATFORMS).describe('gVisor: how system calls are intercepted (default systrap)'),
  runtime: z.enum(OCI_RUNTIMES).describe('podman: the OCI runtime it starts containers with (default crun)'),
};

export const OPTION_DEFAULTS = {
  memoryMiB: 2048,
  vcpus: 2,
  image: 'ubuntu-24.04',
  imageCached: true,
  network: 'bridge',
  pinning: false,
  linkedClones: false,
} as const;

export const optionsSchema = z.strictObject(optionFields).partial();

export const engineEntrySchema = z.union([
  z.string().min(1).describe('a built-in engine id'),
  z.strictObject({
    id: z.string().min(1).optional().describe('a built-in engine id'),
    driver: z.enum(DRIVERS).default('model').describe('model: the calibrated model; real: measured on this host'),
    module: z
      .string()
      .min(1)
      .optional()
      .describe('path or package of a module whose default (or `engine`) export is an Engine'),
    profile: z
      .string()
      .min(1)
      .optional()
      .describe('path of a YAML/JSON engine profile that reuses a built-in kind with its own costs'),
    ...optionsSchema.shape,
  }),
]);

export const densitySchema = z.strictObject({
  targetCpuUtilization: z.number().gt(0).max(1).default(0.8),
  vcpuOvercommit: positive.default(4),
  memoryOvercommit: positive.default(1),
  memoryPolicy: z
    .enum(MEMORY_POLICIES)
    .default('resident')
    .describe(
      'resident: charge the memory an instance touches, with claims (guest RAM, container limits) admitted up to memoryOvercommit x host memory; reserved: charge everything it claims',
    ),
  pageSharing: z.boolean().default(false),
  fleetSize: z.number().int().positive().default(100),
});

/** The most instances one boot storm starts. */
const MOST_STORM_INSTANCES = 10_000_000;

/** A boot storm: the scenario's engines each start many instances together on the host. */
export const stormSchema = z.strictObject({
  instances: z.number().int().positive().max(MOST_STORM_INSTANCES).default(100).describe('instances started'),
  arrivalRate: nonNegative
    // The simulator starts instance i at i x 1000 / rate ms, which must be a finite number.
    .refine((rate) => rate === 0 || Number.isFinite(((MOST_STORM_INSTANCES - 1) * 1000) / rate), {
      message:
        'an arrival rate this close to 0 puts later starts at no finite time: use 0 to start them all at once, or a rate such as 0.001 per second',
    })
    .default(0)
    .describe('instances started per second, evenly spaced; 0 starts them all at once'),
  sharedImage: z
    .boolean()
    .default(true)
    .describe('every instance starts from one image, fetched and read once and then served from the page cache'),
  concurrency: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('closed loop: this many starts in flight, each finished one letting the launcher begin the next'),
  launcherMs: nonNegative
    .optional()
    .describe('host CPU a single-threaded launcher spends per start before its clock runs, ms'),
  handoffs: nonNegative.optional().describe("thread hand-offs on each start's timed path around the engine"),
  harnessCpuMs: nonNegative
    .optional()
    .describe("host CPU each start's own script spends outside its timed span, ms of one thread"),
  running: z
    .number()
    .int()
    .nonnegative()
    .max(MOST_STORM_INSTANCES)
    .default(0)
    .describe('instances of the same engine already running, idle, when the storm starts'),
});

const STATS = ['mean', 'p50', 'p95', 'p99', 'min', 'max'] as const;
export type StatName = (typeof STATS)[number];

const selectorFields = {
  engines: z.array(z.string().min(1)).min(1).optional(),
  kinds: z.array(z.enum(ENGINE_KINDS)).min(1).optional(),
};

export const claimCheckSchema = z.strictObject({
  metric: z.string().min(1),
  ...selectorFields,
  stat: z.enum(STATS).default('p50'),
  op: z.enum(['<', '<=', '>', '>=', '==', 'absent']),
  value: z.number().optional(),
  than: z
    .strictObject({
      ...selectorFields,
      metric: z.string().min(1).optional(),
      stat: z.enum(STATS).optional(),
      factor: positive.default(1),
    })
    .optional(),
});

export const claimSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  text: z.string().min(1),
  checks: z.array(claimCheckSchema).min(1),
});

/** A metric id; an unknown one gets the located did-you-mean of any other enum value. */
const gatedMetric = z
  .string()
  .min(1)
  .superRefine((metric, ctx) => {
    if (!isKnownMetric(metric)) {
      ctx.addIssue({ code: 'invalid_value', values: [...fixedMetricIds(), 'boot_time.<phase>'], input: metric });
    }
  });

/** A/B settings: the gate-wide defaults, and each check's overrides of them. */
const abTestFields = {
  statistic: z
    .enum(['mean', 'median'])
    .optional()
    .describe('statistic whose difference the permutation test checks (default mean)'),
  alpha: z.number().gt(0).lt(1).optional().describe('significance level after family-wise correction (default 0.01)'),
  threshold: z
    .number()
    .nonnegative()
    .optional()
    .describe('noise threshold: smallest change in percent that may fail (default 5)'),
  direction: z
    .enum(['worse', 'either'])
    .optional()
    .describe('worse: only regressions fail (default); either: any change fails'),
};

export const gateBandSchema = z.strictObject({
  stat: z.enum(['mean', 'p50', 'p95', 'cov']),
  min: z.number().optional(),
  max: z.number().optional(),
  mid: z.number().optional().describe('centre of a percent band; the baseline value when absent'),
  percent: z.number().positive().optional(),
  side: z.enum(['both', 'upper', 'lower']).optional().describe('edges of a percent band that apply (default both)'),
});

export const gateCheckSchema = z
  .strictObject({ metric: gatedMetric, ...selectorFields, band: gateBandSchema.optional(), ...abTestFields })
  .superRefine((check, ctx) => {
    if (check.band === undefined) return;
    for (const key of Object.keys(abTestFields)) {
      if (check[key as keyof typeof abTestFields] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}" is an A/B setting and this check is a band`,
          input: check,
        });
      }
    }
  });

export const gatesSchema = z.strictObject({
  ...abTestFields,
  correction: z.enum(['holm', 'bh', 'none']).optional().describe('family-wise control across the gate (default holm)'),
  resamples: z
    .number()
    .int()
    .min(9999)
    .optional()
    .describe('permutation resamples (default 9999, raised as checks grow)'),
  seed: z.number().int().nonnegative().optional().describe('seed of the permutation and bootstrap resampling'),
  checks: z.array(gateCheckSchema).min(1).optional(),
});

const sweepValue = z.union([z.number(), z.string(), z.boolean()]);

export const scenarioSchema = z.strictObject({
  name: z
    .string()
    .max(MOST_NAME_CHARACTERS)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'a file name: letters, digits, dots, dashes and underscores, starting with a letter or digit',
    )
    .optional(),
  description: z.string().default(''),
  hardware: z.union([z.string().min(1), hardwareSchema]),
  seed: z.number().int().nonnegative().default(1),
  repetitions: z.number().int().min(1).max(MOST_REPETITIONS).default(30),
  app: appSchema.default(appSchema.parse({})),
  workload: z
    .union([z.string().min(1).describe('a built-in workload id: `virtbench list workloads`'), workloadSchema])
    .default('http-server'),
  defaults: optionsSchema.default({}),
  density: densitySchema.default(densitySchema.parse({})),
  storm: stormSchema.optional(),
  engines: z.array(engineEntrySchema).min(1).max(MOST_ENGINES),
  metrics: z
    .array(z.enum(METRIC_FAMILIES))
    .min(1)
    .default([...METRIC_FAMILIES]),
  sweep: z.record(z.string().min(1), z.array(sweepValue).min(1)).default({}),
  claims: z.array(claimSchema).default([]),
  gates: gatesSchema.optional(),
});

export type ScenarioDocument = z.infer<typeof scenarioSchema>;
export type EngineEntry = z.infer<typeof engineEntrySchema>;
export type ClaimSpec = z.infer<typeof claimSchema>;
export type ClaimCheckSpec = z.infer<typeof claimCheckSchema>;
export type GatesSpec = z.infer<typeof gatesSchema>;
export type GateCheckSpec = z.infer<typeof gateCheckSchema>;

/** The JSON Schema editors use to validate and complete scenario files. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'virtbench-scenario.schema.json', title: 'virtbench scenario' };
}
