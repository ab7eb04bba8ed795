import { readFile } from 'node:fs/promises';
import type { Cell, DensityResource, Measurement } from '../../types.js';
import { findRealApp } from '../apps/index.js';
import type { RealDriverSpec } from '../driver-spec.js';
import { appUnsuitability, measureApp } from './apps.js';
import { measureBoot, startModeProblem } from './boot.js';
import { measureDensity } from './density.js';
import { densityCurveSamples, measureDensityCurve } from './density-curve.js';
import { measureNeighbours } from './neighbours.js';
import { measureWork, overheadSamples, type WorkComparison } from './overhead.js';
import { openSession } from './session.js';
import { measureStorm } from './storm.js';

const ALL_FAMILIES = ['boot_time', 'image_size', 'density', 'overhead', 'isolation'];

/** Opens a session for the cell, measures each metric family it asks for, and closes the session. */
export async function measureCell(spec: RealDriverSpec, cell: Cell): Promise<Measurement> {
  const opened = await openSession(spec, cell);
  if (opened.state === 'unavailable') return { state: 'unsuitable', reasons: [opened.reason] };
  const { session, options, busybox, notes } = opened;
  const families = new Set(cell.metrics ?? ALL_FAMILIES);
  // A start mode the driver cannot honour is never approximated by another: boot_time is left
  // out with the reason, and a cell that asks for nothing else is unsuitable.
  const modeProblem = families.has('boot_time') ? startModeProblem(session, options.startMode) : undefined;
  if (modeProblem && families.size === 1) {
    await opened.close();
    return { state: 'unsuitable', reasons: [`${spec.id}: ${modeProblem}`] };
  }
  // An application workload (Redis, nginx, sysbench, fio) replaces the fixed busybox workloads.
  const app = findRealApp(cell.workload.name);
  const unfit = app && families.has('overhead') ? appUnsuitability(spec.id, session, app) : undefined;
  if (unfit) {
    await opened.close().catch(() => undefined);
    return { state: 'unsuitable', reasons: [unfit] };
  }
  const samples: Record<string, number[]> = {};
  const details: Record<string, string> = {};
  let densityBinding: DensityResource | undefined;
  let densityInstances: number | undefined;
  let work: WorkComparison | undefined;
  const attempt = async (family: string, step: () => Promise<void>): Promise<void> => {
    if (!families.has(family)) return;
    try {
      await step();
    } catch (error) {
      notes.push(`${family} not measured: ${message(error)}`);
    }
  };
  try {
    await attempt('boot_time', async () => {
      Object.assign(samples, await measureBoot(session, options, undefined, notes));
    });
    await attempt('image_size', async () => {
      const sizes = await session.images();
      samples.image_size = [sizes.onDiskBytes / 2 ** 20];
      if (sizes.compressedBytes !== undefined) samples['image_size.compressed'] = [sizes.compressedBytes / 2 ** 20];
      notes.push(`image: ${sizes.description}`);
    });
    await attempt('density', async () => {
      const density = await measureDensity(session, cell, options, notes);
      if (!density) return;
      Object.assign(samples, density.samples);
      densityBinding = density.binding;
      densityInstances = density.instances;
    });
    await attempt('boot_storm', async () => {
      if (!cell.storm) throw new Error('the scenario has no storm: block');
      const storm = await measureStorm(session, cell.storm, options, busybox, notes);
      if ('unsuitable' in storm) throw new Error(storm.unsuitable);
      Object.assign(samples, storm.samples);
      Object.assign(details, storm.details);
    });
    await attempt('density_curve', async () => {
      const curve = densityCurveSamples(await measureDensityCurve(session, options, notes));
      Object.assign(samples, curve.samples);
      Object.assign(details, curve.details);
    });
    await attempt('neighbours', async () => {
      const measured = await measureNeighbours(session, cell, { busybox, workDir: opened.workDir, options, notes });
      Object.assign(samples, measured.samples);
      Object.assign(details, measured.details);
    });
    if (app) {
      await attempt('overhead', async () => {
        const measured = await measureApp(session, app, cell, { busybox, workDir: opened.workDir, options, notes });
        Object.assign(samples, measured.samples);
        Object.assign(details, measured.details);
      });
    } else if (families.has('overhead') || families.has('isolation')) {
      try {
        work = await measureWork(session, busybox, opened.workDir, options);
      } catch (error) {
        notes.push(`overhead not measured: ${message(error)}`);
      }
    }
    if (work && families.has('overhead')) Object.assign(samples, overheadSamples(work, notes));
    // Isolation reads the kernel boot id the fixed workloads report; an application reports none.
    await attempt('isolation', async () => {
      if (app) throw new Error(`the application workload ${cell.workload.name} reports no kernel boot id`);
      if (!work?.instance.bootId) throw new Error('the instance reported no kernel boot id');
      const hostBootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      const shared = work.instance.bootId === hostBootId;
      samples['isolation.shared_kernel'] = [shared ? 1 : 0];
      // A fault in a shared kernel takes down every instance on the host; a guest kernel only its own VM.
      if (!shared) samples.isolation = [1];
      else if (densityInstances !== undefined) samples.isolation = [densityInstances];
    });
  } finally {
    await opened.close().catch((error) => notes.push(`teardown: ${message(error)}`));
  }
  if (Object.keys(samples).length === 0)
    return { state: 'unsuitable', reasons: notes.length > 0 ? notes : [`${spec.id} measured nothing`] };
  return {
    state: 'measured',
    samples,
    ...(densityBinding ? { densityBinding } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
    notes,
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
