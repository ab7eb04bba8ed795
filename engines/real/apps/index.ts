import type { RealApp } from './app.js';
import { fioApp } from './fio.js';
import { nginxApp } from './nginx.js';
import { redisApp } from './redis.js';
import { sysbenchApp } from './sysbench.js';

/** Every application the real drivers run, each for the workload ids it lists. */
export const REAL_APPS: readonly RealApp[] = [redisApp, nginxApp, sysbenchApp, fioApp];

/** The application a workload id selects, or undefined for the fixed busybox workloads. */
export function findRealApp(workload: string): RealApp | undefined {
  return REAL_APPS.find((app) => app.workloads.includes(workload));
}

/** Workload ids that real drivers run as applications. */
export function realAppWorkloads(): string[] {
  return REAL_APPS.flatMap((app) => [...app.workloads]);
}

/** Debian packages the applications come from, for `virtbench doctor`. */
export const REAL_APP_PACKAGES: readonly string[] = [...new Set(REAL_APPS.flatMap((app) => app.packages))];
