import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultKernelCost, kernelCosts } from '../../engines/hardware/kernel-costs.js';
import { bootPhases } from '../../engines/model/boot.js';
import type { ModeledEngineSpec } from '../../engines/model/params.js';
import { resolveVariants } from '../../engines/model/variants.js';
import type { MeasuredRun } from '../../engines/real/measure/host-profile.js';
import { hasEngine, loadEngine } from '../../engines/registry.js';
import { writeAtomically } from '../../engines/shared/atomic-write.js';
import { roundSignificant } from '../../engines/shared/stats.js';
import type { Engine, HardwareProfile, KernelCosts } from '../../engines/types.js';
import { buildCell } from '../run/plan.js';
import { loadScenario, type Scenario } from '../scenario/load.js';

/**
 * `virtbench calibrate --host`, start-up part: the host's unit costs fitted from the boot times
 * its real drivers measured, then every other driver's boot predicted from them.
 *
 * A start in the model is work (fork+execs, namespaces, mounts, cgroup writes, Go starts and other
 * CPU work, system calls, daemon round trips, fsyncs) priced by the hardware profile. The fit
 * moves at most five of those prices, each as a factor on what the probed profile gives, so that
 * the modeled counterparts of the drivers in the fit set match their measured boot_time (medians,
 * in log terms, so that a 5 ms and a 500 ms boot weigh alike). A weak pull towards the probed
 * values (a ridge on the log factors) keeps a price that no fitted driver tells apart where the
 * probe put it. Everything else (system calls, storage, daemon round trips, network namespaces)
 * stays as probed or follows the fitted CPU. A driver joins by its modeled counterpart alone:
 * whatever work its counterpart counts is priced by the same fitted costs.
 */

/** The quantities the fit may move: the CPU clock start-up work effectively gets, and four kernel operations. */
export const FIT_QUANTITIES = ['cpu', 'forkExecUs', 'namespaceUs', 'mountUs', 'cgroupWriteUs'] as const;
export type FitQuantity = (typeof FIT_QUANTITIES)[number];

const QUANTITY_LABELS: Readonly<Record<FitQuantity, string>> = {
  cpu: 'CPU clock for start-up work',
  forkExecUs: 'fork + exec',
  namespaceUs: 'namespace',
  mountUs: 'mount',
  cgroupWriteUs: 'cgroup write',
};

/** Drivers fitted when none are named: the layers under every container engine. */
export const DEFAULT_FIT_DRIVERS = ['process', 'namespaces', 'runc'] as const;

/** Weight of the pull of each log factor towards 0 (the probed value), against squared log errors of boot times. */
export const RIDGE = 0.002;

/** The largest factor the fit may move a price by, either way. */
const MOST_LOG_FACTOR = Math.log(100);

/** The hardware profile with fitted factors applied: a slower effective clock and explicit kernel costs. */
export function applyFactors(
  hardware: HardwareProfile,
  factors: Readonly<Record<FitQuantity, number>>,
): HardwareProfile {
  const base = kernelCosts(hardware);
  const cpu = { ...hardware.cpu, ghz: hardware.cpu.ghz / factors.cpu };
  const kernel: KernelCosts = {
    forkExecUs: base.forkExecUs * factors.forkExecUs,
    namespaceUs: base.namespaceUs * factors.namespaceUs,
    mountUs: base.mountUs * factors.mountUs,
    cgroupWriteUs: base.cgroupWriteUs * factors.cgroupWriteUs,
    // Prices not fitted and not given by the profile follow the fitted clock, as their defaults do.
    netnsUs: hardware.kernel?.netnsUs ?? defaultKernelCost('netnsUs', cpu),
    ipcRoundTripUs: hardware.kernel?.ipcRoundTripUs ?? defaultKernelCost('ipcRoundTripUs', cpu),
  };
  return { ...hardware, cpu, kernel };
}

/** One driver of the fit: its measured boot and its counterpart's boot on any hardware. */
export interface FitDriver {
  readonly driver: string;
  readonly counterpart: string;
  readonly measuredMs: number;
  readonly samples: number;
  readonly inFit: boolean;
  readonly modelMs: (hardware: HardwareProfile) => number;
}

export interface FittedQuantity {
  readonly quantity: FitQuantity;
  readonly label: string;
  readonly probed: number;
  readonly fitted: number;
  readonly unit: string;
}

export interface DriverPrediction {
  readonly driver: string;
  readonly counterpart: string;
  readonly role: 'fitted' | 'predicted';
  readonly measuredMs: number;
  readonly samples: number;
  readonly beforeMs: number;
  readonly afterMs: number;
}

export interface HostUnitFit {
  readonly fitDrivers: readonly string[];
  readonly quantities: readonly FittedQuantity[];
  /** Prices the fit did not move, as the fitted profile has them. */
  readonly unfitted: readonly {
    readonly label: string;
    readonly value: number;
    readonly unit: string;
    readonly why: string;
  }[];
  readonly drivers: readonly DriverPrediction[];
  readonly hardware: HardwareProfile;
}

const ONES: Record<FitQuantity, number> = { cpu: 1, forkExecUs: 1, namespaceUs: 1, mountUs: 1, cgroupWriteUs: 1 };

/** Minimises the squared log errors of the fit drivers plus the ridge, one log factor at a time (golden-section search). */
export function fitFactors(hardware: HardwareProfile, drivers: readonly FitDriver[]): Record<FitQuantity, number> {
  const fitting = drivers.filter((d) => d.inFit);
  const logs: Record<FitQuantity, number> = { cpu: 0, forkExecUs: 0, namespaceUs: 0, mountUs: 0, cgroupWriteUs: 0 };
  if (fitting.length === 0) return { ...ONES };
  const objective = (): number => {
    const factors = Object.fromEntries(FIT_QUANTITIES.map((q) => [q, Math.exp(logs[q])])) as Record<
      FitQuantity,
      number
    >;
    const fitted = applyFactors(hardware, factors);
    let sum = 0;
    for (const d of fitting) sum += Math.log(d.modelMs(fitted) / d.measuredMs) ** 2;
    for (const q of FIT_QUANTITIES) sum += RIDGE * logs[q] ** 2;
    return sum;
  };
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let sweep = 0; sweep < 200; sweep++) {
    let moved = 0;
    for (const q of FIT_QUANTITIES) {
      const previous = logs[q];
      const at = (x: number): number => {
        logs[q] = x;
        return objective();
      };
      let lo = -MOST_LOG_FACTOR;
      let hi = MOST_LOG_FACTOR;
      let a = hi - ratio * (hi - lo);
      let b = lo + ratio * (hi - lo);
      let fa = at(a);
      let fb = at(b);
      for (let i = 0; i < 60; i++) {
        if (fa < fb) {
          hi = b;
          b = a;
          fb = fa;
          a = hi - ratio * (hi - lo);
          fa = at(a);
        } else {
          lo = a;
          a = b;
          fa = fb;
          b = lo + ratio * (hi - lo);
          fb = at(b);
        }
      }
      logs[q] = (lo + hi) / 2;
      moved = Math.max(moved, Math.abs(logs[q] - previous));
    }
    if (moved < 1e-6) break;
  }
  return Object.fromEntries(FIT_QUANTITIES.map((q) => [q, Math.exp(logs[q])])) as Record<FitQuantity, number>;
}

/** Fits the host's unit costs to the drivers in the fit set and predicts every driver's boot from them. */
export function fitHostUnits(hardware: HardwareProfile, drivers: readonly FitDriver[]): HostUnitFit {
  const factors = fitFactors(hardware, drivers);
  const fitted = applyFactors(hardware, factors);
  const before = kernelCosts(hardware);
  const after = kernelCosts(fitted);
  const quantities: FittedQuantity[] = FIT_QUANTITIES.map((quantity) =>
    quantity === 'cpu'
      ? { quantity, label: QUANTITY_LABELS.cpu, probed: hardware.cpu.ghz, fitted: fitted.cpu.ghz, unit: 'GHz' }
      : { quantity, label: QUANTITY_LABELS[quantity], probed: before[quantity], fitted: after[quantity], unit: 'µs' },
  );
  const unfitted = [
    { label: 'system call', value: fitted.cpu.syscallNs, unit: 'ns', why: 'probed' },
    { label: 'fsync', value: fitted.storage.latencyUs, unit: 'µs', why: 'probed storage latency' },
    {
      label: 'daemon round trip',
      value: after.ipcRoundTripUs,
      unit: 'µs',
      why:
        hardware.kernel?.ipcRoundTripUs !== undefined ? 'given by the profile' : 'predicted: follows the fitted clock',
    },
    {
      label: 'network namespace',
      value: after.netnsUs,
      unit: 'µs',
      why: hardware.kernel?.netnsUs !== undefined ? 'given by the profile' : 'predicted: follows the fitted clock',
    },
  ];
  return {
    fitDrivers: drivers.filter((d) => d.inFit).map((d) => d.driver),
    quantities,
    unfitted,
    drivers: drivers.map((d) => ({
      driver: d.driver,
      counterpart: d.counterpart,
      role: d.inFit ? 'fitted' : 'predicted',
      measuredMs: d.measuredMs,
      samples: d.samples,
      beforeMs: d.modelMs(hardware),
      afterMs: d.modelMs(fitted),
    })),
    hardware: fitted,
  };
}

/** The model's boot_time of one engine on one cell, without noise: the sum of its phases. */
export function modelBootMs(spec: ModeledEngineSpec, cell: Parameters<typeof bootPhases>[1]): number {
  const { spec: resolved } = resolveVariants(spec, cell);
  return bootPhases(resolved, cell).reduce((sum, phase) => sum + phase.ms, 0);
}

function specOf(engine: Engine): ModeledEngineSpec | undefined {
  return engine.driver === 'model' && 'spec' in engine ? (engine as { spec: ModeledEngineSpec }).spec : undefined;
}

/** Real drivers of a run with a boot_time and a modeled counterpart, each able to predict its boot on any hardware. */
export async function fitDriversOf(
  run: MeasuredRun,
  scenario: Scenario,
  fitSet: readonly string[],
): Promise<{ drivers: FitDriver[]; missing: string[] }> {
  const drivers: FitDriver[] = [];
  const missing: string[] = [];
  for (const real of run.engines.filter((e) => e.driver === 'real')) {
    const row = run.rows.find((r) => r.engine === real.id && r.driver === 'real' && r.metric === 'boot_time');
    if (!row) continue;
    const counterpart = real.modeledCounterpart;
    if (!counterpart) {
      missing.push(`${real.id}: no modeled counterpart`);
      continue;
    }
    const entry = scenario.engines.find((e) => e.engine.id === counterpart && e.engine.driver === 'model');
    const realEntry = scenario.engines.find((e) => e.engine.id === real.id && e.engine.driver === 'real');
    const engine = entry?.engine ?? (hasEngine(counterpart) ? await loadEngine(counterpart) : undefined);
    const spec = engine && specOf(engine);
    if (!spec) {
      missing.push(`${real.id}: its counterpart ${counterpart} is not a built-in modeled engine yet`);
      continue;
    }
    const options = entry?.options ?? realEntry?.options ?? scenario.engines[0]!.options;
    const cell = buildCell({ ...scenario, hardware: run.hardware }, { engine, options }, {});
    drivers.push({
      driver: real.id,
      counterpart,
      measuredMs: row.p50,
      samples: row.n,
      inFit: fitSet.includes(real.id),
      modelMs: (hardware) => modelBootMs(spec, { ...cell, hardware }),
    });
  }
  return { drivers, missing };
}

const fmtMs = (ms: number): string =>
  ms >= 1000 ? `${roundSignificant(ms / 1000, 3)} s` : `${roundSignificant(ms, 3)} ms`;
const fmtPct = (model: number, measured: number): string => {
  const pct = (model / measured - 1) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
};

/** Within this share of the measurement a predicted boot counts as reproduced. */
export const HOST_BOOT_TOLERANCE_PCT = 25;

export function renderHostUnitFit(fit: HostUnitFit, resultFile: string, missing: readonly string[]): string {
  const lines = [
    `Host unit costs fitted to the boot_time medians of ${fit.fitDrivers.join(', ') || 'no driver'} (${resultFile})`,
    '',
    `  ${'fitted'.padEnd(30)} ${'probed'.padStart(12)} ${'fitted'.padStart(12)}`,
  ];
  for (const q of fit.quantities)
    lines.push(
      `  ${q.label.padEnd(30)} ${`${roundSignificant(q.probed, 3)} ${q.unit}`.padStart(12)} ${`${roundSignificant(q.fitted, 3)} ${q.unit}`.padStart(12)}`,
    );
  lines.push('', `  ${'not fitted'.padEnd(30)} ${'value'.padStart(12)}`);
  for (const u of fit.unfitted)
    lines.push(`  ${u.label.padEnd(30)} ${`${roundSignificant(u.value, 3)} ${u.unit}`.padStart(12)}  ${u.why}`);
  lines.push(
    '',
    `  ${'driver'.padEnd(12)} ${'counterpart'.padEnd(12)} ${'role'.padEnd(10)} ${'measured'.padStart(10)} ${'model before'.padStart(13)} ${'error'.padStart(8)} ${'model after'.padStart(12)} ${'error'.padStart(8)}`,
  );
  for (const d of fit.drivers) {
    const within = Math.abs((d.afterMs / d.measuredMs - 1) * 100) <= HOST_BOOT_TOLERANCE_PCT;
    lines.push(
      `  ${d.driver.padEnd(12)} ${d.counterpart.padEnd(12)} ${d.role.padEnd(10)} ${fmtMs(d.measuredMs).padStart(10)} ${fmtMs(d.beforeMs).padStart(13)} ${fmtPct(d.beforeMs, d.measuredMs).padStart(8)} ${fmtMs(d.afterMs).padStart(12)} ${fmtPct(d.afterMs, d.measuredMs).padStart(8)} ${within ? '✓' : `✗ beyond ${HOST_BOOT_TOLERANCE_PCT}%`}`,
    );
  }
  const predicted = fit.drivers.filter((d) => d.role === 'predicted');
  if (predicted.length > 0) {
    const errors = predicted.map((d) => Math.abs(d.afterMs / d.measuredMs - 1) * 100);
    lines.push(
      '',
      `  predicted drivers (not in the fit): ${predicted.length}, largest |error| ${Math.max(...errors).toFixed(1)}%`,
    );
  }
  for (const m of missing) lines.push(`  not fitted or predicted: ${m}`);
  return lines.join('\n');
}

/** Reads a real-host run, fits the unit costs, writes them to `dir`/host-units.json, and returns the report. */
export async function calibrateHostUnits(
  resultFile: string,
  dir: string,
  /** Drivers to fit; by default those of DEFAULT_FIT_DRIVERS the run has. */
  named?: readonly string[],
): Promise<{ fit: HostUnitFit; text: string; file: string }> {
  const fitSet = named ?? DEFAULT_FIT_DRIVERS;
  const run = JSON.parse(await readFile(resultFile, 'utf8')) as MeasuredRun;
  const scenario = await loadScenario(run.scenario.file, {
    allowOutsideModules: true,
    resolvedHardware: run.hardware,
  });
  const { drivers, missing } = await fitDriversOf(run, scenario, fitSet);
  const unknown = fitSet.filter((id) => !drivers.some((d) => d.driver === id));
  if (named && unknown.length > 0)
    throw new Error(
      `--fit names ${unknown.join(', ')}, which ${resultFile} has no boot_time for with a modeled counterpart; it has: ${drivers.map((d) => d.driver).join(', ') || 'none'}`,
    );
  const fit = fitHostUnits(run.hardware, drivers);
  const file = join(dir, 'host-units.json');
  const summary = {
    from: resultFile,
    fitDrivers: fit.fitDrivers,
    quantities: fit.quantities,
    unfitted: fit.unfitted,
    drivers: fit.drivers,
    // The fitted host as an inline hardware profile a scenario may use.
    hardware: {
      ...fit.hardware,
      id: `${run.hardware.id}-fitted`,
      source: `${run.hardware.source}; unit costs fitted by virtbench calibrate --host from ${resultFile}`,
    },
  };
  await writeAtomically([{ path: file, content: `${JSON.stringify(summary, null, 2)}\n` }]);
  return { fit, text: `${renderHostUnitFit(fit, resultFile, missing)}\n\nwrote ${file}`, file };
}
