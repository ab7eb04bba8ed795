import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { median } from '../../shared/stats.js';
import type { DriverSession } from '../driver-spec.js';
import { parseWorkOutput, WORK_SCRIPT, WORKLOADS, type WorkloadName, type WorkReport } from '../guest/scripts.js';
import { runCommand } from '../host/spawn.js';
import type { ResolvedRealOptions } from '../options.js';

/** The workload reports of the native runs and of the in-instance runs, each merged over repetitions. */
export interface WorkComparison {
  readonly native: WorkReport;
  readonly instance: WorkReport;
}

/**
 * The same workload script natively (host busybox, host disk) and in a fresh instance, in
 * alternating pairs, so that a change in host load between the two halves of a pair is rare
 * and each instance run has a native run beside it to be compared with.
 */
export async function measureWork(
  session: DriverSession,
  busybox: string,
  workDir: string,
  options: ResolvedRealOptions,
): Promise<WorkComparison> {
  const script = join(workDir, 'native-work.sh');
  await writeFile(script, WORK_SCRIPT);
  const timeoutMs = options.timeoutMs * 3;
  const native: WorkReport[] = [];
  const instance: WorkReport[] = [];
  for (let rep = 0; rep < options.workloadRepetitions; rep++) {
    const nativeRun = await runCommand([busybox, 'sh', script, busybox, join(workDir, 'native-disk'), '1'], {
      timeoutMs,
      cwd: workDir,
    });
    native.push(parseWorkOutput(nativeRun.stdout.split('\n')));
    instance.push(parseWorkOutput(await session.runWorkload(1)));
  }
  return { native: mergeReports(native), instance: mergeReports(instance) };
}

function mergeReports(reports: readonly WorkReport[]): WorkReport {
  const times = Object.fromEntries(
    WORKLOADS.map((w) => [w, reports.flatMap((r) => r.times[w])]),
  ) as WorkReport['times'];
  return { times, bootId: reports.map((r) => r.bootId).find((id) => id !== undefined) };
}

/**
 * Overhead against native, per repetition: each in-instance time over the native time of its
 * pair. The cpu figure counts computation and system calls together, as the model's cpu
 * dimension does.
 */
export function overheadSamples(work: WorkComparison, notes: string[]): Record<string, number[]> {
  const { native, instance } = work;
  const missing = WORKLOADS.filter((w) => native.times[w].length === 0 || instance.times[w].length === 0);
  if (missing.length > 0)
    notes.push(
      `overhead: no ${missing.join(', ')} timings from ${native.times[missing[0]!].length === 0 ? 'the native run' : 'the instance'}`,
    );
  const present = WORKLOADS.filter((w) => !missing.includes(w));
  const reps = Math.min(...present.map((w) => Math.min(instance.times[w].length, native.times[w].length)));
  const out: Record<string, number[]> = {};
  const percent = (inst: number, nat: number): number => (inst / nat - 1) * 100;
  const groups: Record<string, readonly WorkloadName[]> = {
    overhead_cpu: ['cpu', 'syscall'],
    overhead_syscall: ['syscall'],
    overhead_memory: ['memory'],
    overhead_disk: ['disk'],
    overhead_total: WORKLOADS,
  };
  for (const [metric, parts] of Object.entries(groups)) {
    if (parts.some((p) => missing.includes(p)) || !Number.isFinite(reps)) continue;
    const sum = (times: WorkReport['times'], i: number): number => parts.reduce((total, p) => total + times[p][i]!, 0);
    const values = Array.from({ length: reps }, (_, i) =>
      sum(native.times, i) > 0 ? percent(sum(instance.times, i), sum(native.times, i)) : NaN,
    );
    if (values.every(Number.isFinite)) out[metric] = values;
  }
  const show = (report: WorkReport): string =>
    WORKLOADS.filter((w) => report.times[w].length > 0)
      .map((w) => `${w} ${(median(report.times[w]) / 1000).toFixed(0)} ms`)
      .join(', ');
  notes.push(`workloads (median): native ${show(native)}; in instance ${show(instance)}`);
  return out;
}
