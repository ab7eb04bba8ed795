import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { docker } from '../../modeled/docker.js';
import { kvm } from '../../modeled/kvm.js';
import { native } from '../../modeled/native.js';
import { qemuTcg } from '../../modeled/qemu-tcg.js';
import { writeAtomically } from '../../shared/atomic-write.js';
import { roundSignificant, tQuantile975 } from '../../shared/stats.js';
import type { HardwareProfile } from '../../types.js';

/**
 * `virtbench calibrate --host`: this host's own model parameters, fitted from what the real
 * drivers measured (the JSON result of a run of scenarios/real-host.yaml), saved as engine
 * profiles that any later scenario can use with `profile:`.
 *
 * Start-up of processes, containers and sandboxes is counted as work priced by the host, so it
 * is fitted as the host's unit costs (bench/calibrate/host-fit.ts), not here. A VM's firmware
 * time, memory per instance and overheads become engine parameters directly.
 */

/** The parts of a run result the fit reads; a RunResult has this shape. */
export interface MeasuredRun {
  readonly scenario: { readonly name: string; readonly file: string };
  readonly hardware: HardwareProfile;
  readonly engines: readonly { readonly id: string; readonly driver: string; readonly modeledCounterpart?: string }[];
  readonly rows: readonly {
    readonly engine: string;
    readonly driver: string;
    readonly metric: string;
    readonly p50: number;
    readonly n: number;
    readonly stddev: number;
  }[];
}

export interface FittedParam {
  readonly profile: string;
  readonly group: 'boot' | 'memory' | 'costs';
  readonly name: string;
  readonly value: number;
  readonly source: string;
}

export interface HostProfile {
  readonly hardware: HardwareProfile;
  /** Engine profiles by file stem: id, base and the fitted parameters. */
  readonly profiles: Readonly<Record<string, { id: string; title: string; base: string; params: FittedParam[] }>>;
  /** What could not be fitted, and why. */
  readonly notes: string[];
}

/** $XDG_CONFIG_HOME/virtbench/host, else ~/.config/virtbench/host. */
export function hostProfileDir(): string {
  const base = process.env.XDG_CONFIG_HOME?.startsWith('/') ? process.env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'virtbench', 'host');
}

const round = (value: number): number => roundSignificant(value, 4);

/** Fewest samples behind any measurement a parameter is fitted from. */
export const MIN_FIT_SAMPLES = 5;

/**
 * A measured quantity a parameter is fitted from: a row's median, or a difference of rows'
 * medians less model constants, with the 95% confidence half-width of the means behind it
 * (Student's t; Welch's for a difference). The median is what is fitted because one slow boot
 * should not move a parameter; its uncertainty is taken as the mean's, which for the roughly
 * symmetric boot and overhead samples is close and is what the rows record.
 */
interface Estimate {
  readonly value: number;
  readonly halfWidth: number;
  /** Fewest samples of the rows it comes from. */
  readonly fewest: number;
  /** Variance of the mean and its degrees of freedom, to combine estimates. */
  readonly variance: number;
  readonly df: number;
}

function rowEstimate(row: MeasuredRun['rows'][number]): Estimate {
  const variance = row.n > 1 ? row.stddev ** 2 / row.n : Infinity;
  const df = Math.max(1, row.n - 1);
  return { value: row.p50, halfWidth: tQuantile975(df) * Math.sqrt(variance), fewest: row.n, variance, df };
}

/**
 * Why an estimate does not resolve its parameter, or undefined when it does: it needs
 * MIN_FIT_SAMPLES samples, and a 95% confidence interval narrower than the effect itself, so
 * that noise of a few points is never written down as an overhead of a few points.
 */
export function unresolvedReason(estimate: Estimate): string | undefined {
  if (estimate.fewest < MIN_FIT_SAMPLES)
    return `${estimate.fewest} samples, fewer than the ${MIN_FIT_SAMPLES} a fit needs`;
  const width = 2 * estimate.halfWidth;
  if (width > 0 && !(width < Math.abs(estimate.value)))
    return `its 95% confidence interval, ${round(estimate.value)} ± ${round(estimate.halfWidth)}, is wider than the effect`;
  return undefined;
}

/** The built-in value of a parameter of a base engine, which a parameter that is not fitted keeps. */
function defaultValue(base: string, group: FittedParam['group'], name: string): number | undefined {
  const spec = (BASES[base] as { spec: Record<string, Record<string, { value: number } | undefined>> } | undefined)
    ?.spec;
  return spec?.[group]?.[name]?.value;
}

const BASES: Readonly<Record<string, unknown>> = { native, docker, kvm, 'qemu-tcg': qemuTcg };

export function fitHostProfile(run: MeasuredRun, resultFile: string): HostProfile {
  const notes: string[] = [];
  const row = (driver: string, metric: string) =>
    run.rows.find((r) => r.engine === driver && r.driver === 'real' && r.metric === metric);
  const measured = (driver: string, metric: string): Estimate | undefined => {
    const found = row(driver, metric);
    return found ? rowEstimate(found) : undefined;
  };
  const cite = (driver: string, metric: string): string => {
    const r = row(driver, metric)!;
    return `${driver} ${metric} p50 ${round(r.p50)} (n=${r.n}, sd ${round(r.stddev)}) in ${resultFile}`;
  };
  const profiles: Record<string, { id: string; title: string; base: string; params: FittedParam[] }> = {};
  const add = (
    stem: string,
    title: string,
    base: string,
    group: FittedParam['group'],
    name: string,
    value: number,
    source: string,
  ): void => {
    profiles[stem] ??= { id: `host-${stem}`, title: `${title} on ${run.hardware.id}`, base, params: [] };
    profiles[stem].params.push({ profile: stem, group, name, value: round(Math.max(0, value)), source });
  };
  /** Adds a parameter fitted from an estimate when the estimate resolves it; otherwise says why it keeps its default. */
  const fitParameter = (
    stem: string,
    title: string,
    base: string,
    group: FittedParam['group'],
    name: string,
    estimate: Estimate,
    source: string,
    scale = 1,
  ): boolean => {
    const reason = unresolvedReason(estimate);
    if (reason === undefined) {
      add(stem, title, base, group, name, estimate.value * scale, `${source}; 95% CI ± ${round(estimate.halfWidth)}`);
      return true;
    }
    const fallback = defaultValue(base, group, name);
    notes.push(
      `host-${stem} ${group}.${name} not fitted, keeps the ${base} default${fallback === undefined ? '' : ` ${fallback}`}: ${reason} (${source})`,
    );
    return false;
  };

  notes.push(
    "process, container and sandbox start-up is not an engine parameter: it is work priced by the host's unit costs, which the unit-cost fit sets (bench/calibrate/host-fit.ts)",
  );

  const qemu = run.engines.find((e) => e.id === 'qemu' && e.driver === 'real');
  const vm =
    qemu?.modeledCounterpart === 'kvm'
      ? { stem: 'kvm', title: 'KVM (QEMU)', spec: kvm.spec }
      : { stem: 'qemu-tcg', title: 'QEMU TCG', spec: qemuTcg.spec };
  const vmm = measured('qemu', 'boot_time.kernel_entry');
  if (vmm !== undefined) {
    const rest = vm.spec.boot.vmmStartMs.value + vm.spec.boot.bootloaderMs.value;
    fitParameter(
      vm.stem,
      vm.title,
      vm.stem,
      'boot',
      'firmwareMs',
      { ...vmm, value: vmm.value - rest },
      `${cite('qemu', 'boot_time.kernel_entry')} (spawn to the guest clock's zero: QEMU start, firmware, kernel loading and decompression) less the model's vmmStartMs and bootloaderMs (${rest} ms)`,
    );
  } else notes.push('VM firmwareMs not fitted: no boot_time.kernel_entry from the qemu driver');
  notes.push(
    'guest kernel and userspace times (boot_time.kernel_entry to boot_time.init, and on to boot_time.workload_ready) belong to the OS image, not the engine: compare them in the report, they are not fitted',
  );

  const memoryStems: [string, string, string][] = [
    ['process', 'native', 'Native process'],
    ['namespaces', 'namespaces', 'Linux namespaces (unshare)'],
    ['runc', 'runc', 'runc (bare OCI runtime)'],
    ['docker', 'docker', 'Docker (containerd + runc)'],
  ];
  for (const [driver, stem, title] of memoryStems) {
    const pss = measured(driver, 'density.memory_per_instance');
    if (pss === undefined) continue;
    fitParameter(
      stem,
      title,
      stem === 'native' ? 'native' : 'docker',
      'memory',
      'instanceOverheadMiB',
      pss,
      `${cite(driver, 'density.memory_per_instance')}: PSS of an idle busybox instance, all its processes`,
    );
  }
  notes.push("VM instanceOverheadMiB not fitted: a VM's PSS mixes the guest RAM it touched with QEMU's own memory");

  const costDrivers: [string, string, string, string][] = [
    ['namespaces', 'namespaces', 'Linux namespaces (unshare)', 'docker'],
    ['runc', 'runc', 'runc (bare OCI runtime)', 'docker'],
    ['docker', 'docker', 'Docker (containerd + runc)', 'docker'],
    ['qemu', vm.stem, vm.title, vm.stem],
  ];
  for (const [driver, stem, title, base] of costDrivers) {
    for (const [metric, name] of [
      ['overhead_cpu', 'cpuFraction'],
      ['overhead_memory', 'memoryBandwidthFraction'],
      ['overhead_disk', 'diskSeqFraction'],
    ] as const) {
      const overhead = measured(driver, metric);
      if (overhead === undefined) continue;
      fitParameter(
        stem,
        title,
        base,
        'costs',
        name,
        overhead,
        `${cite(driver, metric)} (percent slower than native, paired runs), as a fraction; negative values clamp to 0`,
        1 / 100,
      );
    }
  }
  if (profiles['qemu-tcg']?.params.some((p) => p.name === 'cpuFraction')) {
    // TCG's translation cost is now in cpuFraction on any host, as in the built-in qemu-tcg.
    add('qemu-tcg', 'QEMU TCG', 'qemu-tcg', 'costs', 'emulationFraction', 0, 'already in the fitted cpuFraction');
  }
  return { hardware: run.hardware, profiles, notes };
}

/** One engine profile file, in the format `profile:` entries and engines/profile.ts read. */
export function renderProfileYaml(profile: HostProfile['profiles'][string], resultFile: string): string {
  const groups: Record<string, Record<string, { value: number; source: string; verified: string }>> = {};
  for (const p of profile.params) {
    const group = groups[p.group] ?? {};
    groups[p.group] = group;
    group[p.name] = { value: p.value, source: p.source, verified: 'measured' };
  }
  const body = stringify({ id: profile.id, title: profile.title, base: profile.base, ...groups }, { lineWidth: 0 });
  return `# Fitted by \`virtbench calibrate --host\` from ${resultFile}; use it with \`- profile: <this file>\`.\n${body}`;
}

export interface HostCalibration {
  readonly profile: HostProfile;
  readonly files: readonly string[];
  readonly text: string;
}

/** Reads a real-host run's JSON result, fits, and writes the profiles and a summary into `dir`. */
export async function calibrateHost(resultFile: string, dir: string = hostProfileDir()): Promise<HostCalibration> {
  const run = JSON.parse(await readFile(resultFile, 'utf8')) as MeasuredRun;
  if (!Array.isArray(run.rows) || !run.rows.some((r) => r.driver === 'real')) {
    throw new Error(`${resultFile} holds no real-driver rows: run \`virtbench run scenarios/real-host.yaml\` first`);
  }
  const profile = fitHostProfile(run, resultFile);
  const files: string[] = [];
  for (const [stem, p] of Object.entries(profile.profiles)) {
    const file = join(dir, 'profiles', `host-${stem}.yaml`);
    await writeAtomically([{ path: file, content: renderProfileYaml(p, resultFile) }]);
    files.push(file);
  }
  const summary = join(dir, 'host-profile.json');
  await writeAtomically([{ path: summary, content: `${JSON.stringify({ from: resultFile, ...profile }, null, 2)}\n` }]);
  files.push(summary);
  const lines = [`Host profile for ${profile.hardware.description}`, ''];
  for (const p of Object.values(profile.profiles)) {
    lines.push(`${p.id} (base ${p.base})`);
    for (const param of p.params)
      lines.push(`  ${`${param.group}.${param.name}`.padEnd(34)} ${String(param.value).padStart(10)}  ${param.source}`);
  }
  if (profile.notes.length > 0) lines.push('', ...profile.notes.map((n) => `note: ${n}`));
  lines.push(
    '',
    `wrote ${files.join(', ')}`,
    `use a profile in a scenario with:  - profile: ${join(dir, 'profiles', 'host-docker.yaml')}`,
  );
  return { profile, files, text: lines.join('\n') };
}
