import type { Cell, Engine, EngineKind, NetworkMode } from '../types.js';
import type { Availability } from './availability.js';
import type { LaunchTiming } from './measure/launcher.js';
import type { ResolvedRealOptions } from './options.js';

/**
 * What a real driver declares: how to tell whether it can run here, and how to open a session
 * that boots, sizes, idles and loads its instances. defineRealDriver turns a spec into an Engine.
 */

export interface BootCommand {
  readonly argv: readonly string[];
  /** The readiness line contains this; '' takes the first line the command prints. */
  readonly marker: string;
  /**
   * The command itself returns once the instance runs (`docker run --detach`), so its exit, not
   * a line, is the readiness signal.
   */
  readonly readyAtExit?: boolean;
  /**
   * For outside timers (hyperfine's --prepare): a command that leaves the host as settled as
   * afterBoot leaves it before the next boot, when afterBoot waits for something.
   */
  readonly settleCommand?: readonly string[];
}

/** One idle instance kept running for the density measurement. */
export interface IdleInstance {
  /** The processes whose trees make up the instance: VMM, shim, container init. */
  pids(): Promise<number[]>;
  /** Disk bytes this instance owns beyond the shared image. */
  storageBytes(): Promise<number>;
  stop(): Promise<void>;
}

export interface ImageSizes {
  /** What one instance boots from, as stored on the host, bytes. */
  readonly onDiskBytes: number;
  /** What would cross the network to fetch it (a compressed layer), bytes. */
  readonly compressedBytes?: number;
  /** What the bytes are, for the report's notes. */
  readonly description: string;
}

/** A long-running application server to start in a fresh instance (engines/real/apps). */
export interface ServerLaunch {
  /** The server's command line, as the instance sees its file system. */
  readonly argv: readonly string[];
  /** The port the server listens on inside the instance. */
  readonly port: number;
  /** Host paths the instance sees read-only at the same place (/usr, /lib, /lib64, /etc). */
  readonly hostPaths: readonly string[];
  /** A host directory the instance sees read-write at the same place (configuration, data). */
  readonly writableDir?: string;
  readonly network: NetworkMode;
}

/** A server running in an instance, reachable from the host. */
export interface RunningServer {
  /** The address a client on the host connects to. */
  readonly host: string;
  readonly port: number;
  /** The processes whose trees make up the instance. */
  pids(): Promise<number[]>;
  /** Stops the server and removes its instance and network. Safe to call twice. */
  stop(): Promise<void>;
}

/** A command to run to completion in a fresh instance, such as sysbench or fio. */
export interface CommandLaunch {
  /** Commands run one after another in the same instance (prepare, run, cleanup). */
  readonly steps: readonly (readonly string[])[];
  readonly hostPaths: readonly string[];
  /** The command's working directory, read-write, at the same path inside the instance. */
  readonly writableDir: string;
  readonly timeoutMs: number;
}

/** A driver prepared for one cell: its bundle, image or initramfs exists until dispose(). */
export interface DriverSession {
  readonly boot: BootCommand;
  /** Untimed work after each timed boot, such as removing the container it left. */
  afterBoot?(timing: LaunchTiming): Promise<void>;
  /** Boot phases from the instance's own clock, ms, when it has one (a VM's kernel log). */
  bootPhases?(timing: LaunchTiming): Readonly<Record<string, number>> | undefined;
  images(): Promise<ImageSizes>;
  /** Memory one idle instance is expected to take, MiB: caps how many start within the budget. */
  readonly idleEstimateMiB: number;
  startIdle(index: number): Promise<IdleInstance>;
  /** Runs the workload script `repetitions` times in one fresh instance; its output lines. */
  runWorkload(repetitions: number): Promise<string[]>;
  /** VMs: instances are capped by vCPU overcommit as well. */
  readonly isVm: boolean;
  /** Starts an application server in a fresh instance; absent when the driver cannot. */
  startServer?(launch: ServerLaunch): Promise<RunningServer>;
  /** Runs commands in one fresh instance; the standard output of each step, in order. */
  runInInstance?(launch: CommandLaunch): Promise<string[]>;
  /** Removes what open() made beyond the cell's work directory (containers, images). */
  dispose?(): Promise<void>;
}

export interface SessionContext {
  readonly cell: Cell;
  readonly options: ResolvedRealOptions;
  /** A temporary directory for this cell, removed after it. */
  readonly workDir: string;
  readonly busybox: string;
  /** Facts worth reporting (accelerator, kernel), added to the measurement's notes. */
  readonly notes: string[];
}

export interface RealDriverSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: () => EngineKind;
  readonly modeledCounterpart: () => string;
  readonly defaultTimeoutMs: number;
  /** The Debian packages the driver needs, listed by `virtbench doctor` whether present or not. */
  readonly requires: readonly string[];
  /** What this host offers the driver; the cell, when given, may point at its own files (a kernel). */
  availability(cell?: Cell): Promise<Availability>;
  open(context: SessionContext): Promise<DriverSession>;
}

export interface RealDriver extends Engine {
  readonly driver: 'real';
  readonly spec: RealDriverSpec;
  availability(cell?: Cell): Promise<Availability>;
}
