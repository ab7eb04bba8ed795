/**
 * The application catalogue of the real drivers: real servers and benchmark tools from Debian
 * packages, run natively and inside each engine. A cell's workload id picks the application
 * (redis for kv-get, nginx for http-keepalive, ...); each application says how to start its
 * server or command, which client drives it from the host, and how to read the figures.
 */

/** What one run of an application's client reports. */
export interface AppFigures {
  /** Operations per second. */
  readonly throughput: number;
  /** Median latency of one operation, µs. */
  readonly latencyUs: number;
  /** 99th-percentile latency of one operation, µs. */
  readonly latencyP99Us: number;
}

/** The overhead dimension an application's slowdown is reported under, besides overhead_total. */
export type OverheadDimension = 'overhead_network' | 'overhead_cpu' | 'overhead_memory' | 'overhead_disk';

/** Absolute paths of the application's tools on this host, by tool name. */
export type ToolPaths = Readonly<Record<string, string>>;

/** Run-length settings of the clients and commands, kept short for a shared 2-core host. */
export interface AppRunSettings {
  /** redis-benchmark requests per run. */
  readonly requests: number;
  /** Seconds each time-based client or command runs (wrk, sysbench, fio). */
  readonly seconds: number;
}

export const DEFAULT_APP_RUN: AppRunSettings = { requests: 20_000, seconds: 2 };

/**
 * Requests of the pilot run that sizes a request-counted client, and the fewest a measured run
 * makes: an emulated VM may serve under a hundred requests a second, where 20,000 would take minutes.
 */
export const PILOT_REQUESTS = 200;

interface AppBase {
  /** The workload ids this application runs. */
  readonly workloads: readonly string[];
  /** Debian packages that bring its tools, for `virtbench doctor`. */
  readonly packages: readonly string[];
  /** Tool names looked up on PATH (and sbin). */
  readonly tools: readonly string[];
  /** What one operation is, for the report (details.throughput). */
  operation(workload: string): string;
  readonly dimension: OverheadDimension;
  /**
   * Host paths the instance needs read-only: the tools, their shared libraries, and the few
   * files of /etc they read.
   */
  readonly hostPaths: readonly string[];
  /** Facts the report should carry about how the figures were taken. */
  notes(workload: string): string[];
}

/** A request/response exchange that shows the server is answering, not only listening. */
export interface ReadinessProbe {
  readonly send: string;
  /** The reply starts with this. */
  readonly expect: string;
}

/** A server in the instance, driven by a client on the host. */
export interface ServerApp extends AppBase {
  readonly kind: 'server';
  /** Writes the server's files into dir (as the instance sees it) and returns its argv. */
  prepareServer(dir: string, listen: { address: string; port: number }, tools: ToolPaths): Promise<string[]>;
  readonly probe: ReadinessProbe;
  /**
   * How the client's run is bounded: by `seconds` (wrk), or by a count of requests (redis-benchmark),
   * which a pilot run sizes to about `seconds` at the server's rate, at most `requests`.
   */
  readonly boundedBy: 'seconds' | 'requests';
  /** The client's argv, run on the host against host:port with `clients` connections. */
  client(
    workload: string,
    target: { host: string; port: number },
    clients: number,
    tools: ToolPaths,
    run: AppRunSettings,
  ): string[];
  parse(workload: string, output: string): AppFigures;
}

/** A benchmark that runs to completion inside the instance. */
export interface CommandApp extends AppBase {
  readonly kind: 'command';
  /** The commands to run one after another in one instance, in dir. */
  steps(workload: string, dir: string, tools: ToolPaths, run: AppRunSettings): string[][];
  /** Which step's output holds the figures. */
  resultStep(workload: string): number;
  parse(workload: string, output: string): AppFigures;
}

export type RealApp = ServerApp | CommandApp;

/** A number that must be in the output; a missing one means the tool failed or changed its format. */
export function required(value: number | undefined, what: string, tool: string): number {
  if (value === undefined || !Number.isFinite(value)) throw new Error(`${tool} output has no ${what}`);
  return value;
}

/** µs from a duration with its unit as wrk and sysbench print them ("36.00us", "1.88ms", "2.1s"). */
export function durationUs(value: number, unit: string): number {
  const scale: Record<string, number> = { ns: 1e-3, us: 1, µs: 1, ms: 1e3, s: 1e6, m: 60e6 };
  const factor = scale[unit];
  if (factor === undefined) throw new Error(`unknown duration unit "${unit}"`);
  return value * factor;
}
