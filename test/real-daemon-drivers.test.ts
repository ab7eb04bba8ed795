import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findHardware } from '../engines/hardware/index.js';
import { findImage } from '../engines/images.js';
import type { Availability } from '../engines/real/availability.js';
import type { RealDriver } from '../engines/real/driver-spec.js';
import { runCgroupParent } from '../engines/real/host/host-state.js';
import { findLeftovers } from '../engines/real/host/leaks.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import type { Cell, OciRuntime } from '../engines/types.js';

/**
 * The daemon-backed real drivers (Podman, containerd, Docker with runsc) against this host. Each
 * test skips, saying why, when its driver cannot run here. Each ends by checking that nothing
 * the run started is left: processes (containerd itself and its shims, conmon), containers,
 * images, temporary directories, mounts, and the run's cgroup parent.
 */

interface Case {
  readonly id: string;
  readonly runtime?: OciRuntime;
  readonly counterpart: string;
}

const CASES: readonly Case[] = [
  { id: 'podman', counterpart: 'podman' },
  { id: 'podman', runtime: 'crun', counterpart: 'podman' },
  { id: 'podman', runtime: 'runsc', counterpart: 'podman' },
  { id: 'containerd', counterpart: 'containerd' },
  { id: 'docker-runsc', counterpart: 'gvisor' },
];

function cellFor(c: Case): Cell {
  return {
    scenario: 'real-daemon-drivers-test',
    hardware: findHardware('dev-laptop')!,
    os: findImage('firecracker-minimal') ?? findImage('alpine-3.22')!,
    app: { name: 'busybox-echo', sizeMiB: 0, startMcycles: 1, workingSetMiB: 1, demandCores: 0.05, writtenMiB: 0 },
    workload: {
      name: 'none',
      computeGcycles: 0,
      threads: 1,
      memoryGB: 0,
      randomAccessesM: 0,
      syscallsM: 0,
      diskSeqReadMB: 0,
      diskSeqWriteMB: 0,
      diskRandReadK: 0,
      diskRandWriteK: 0,
      diskQueueDepth: 1,
      networkMB: 0,
      roundTripsK: 0,
    },
    density: { targetCpuUtilization: 0.8, vcpuOvercommit: 4, memoryOvercommit: 1, pageSharing: false, fleetSize: 10 },
    options: {
      memoryMiB: 256,
      vcpus: 1,
      image: 'alpine-3.22',
      imageCached: true,
      network: 'host',
      pinning: false,
      linkedClones: false,
      real: {
        bootWarmup: 1,
        bootIterations: 3,
        workloadRepetitions: 1,
        densityInstances: 2,
        ...(c.runtime ? { runtime: c.runtime } : {}),
      },
    },
    repetitions: 3,
    seed: 1,
    metrics: ['boot_time', 'image_size', 'density', 'overhead', 'isolation'],
  } as Cell;
}

const loaded = new Map<Case, { driver: RealDriver; availability: Availability }>();
for (const c of CASES) {
  const driver = (await loadEngine(c.id, 'real')) as RealDriver;
  loaded.set(c, { driver, availability: await driver.availability(cellFor(c)) });
}

function title(c: Case): string {
  return c.runtime ? `${c.id} (runtime ${c.runtime})` : c.id;
}

function skipReason(c: Case): string {
  const { availability } = loaded.get(c)!;
  return availability.available
    ? ''
    : ` (skipped: ${availability.reasons.join('; ')}; Debian packages: ${availability.packages.join(' ') || 'none'})`;
}

/** cgroup directories named for this run, in any hierarchy. */
function runCgroups(): string[] {
  const parent = runCgroupParent();
  return readdirSync('/sys/fs/cgroup')
    .map((hierarchy) => `/sys/fs/cgroup/${hierarchy}/${parent}`)
    .filter((dir) => existsSync(dir));
}

/** Host-wide folders podman writes whatever its flags say; a run removes those it created. */
const SHARED_STATE = [
  '/var/lib/containers/cache/blob-info-cache-v1.boltdb',
  '/var/lib/containers',
  '/run/containers',
  '/run/libpod',
];
const existingSharedState = (): string[] => SHARED_STATE.filter((path) => existsSync(path));
const sharedStateBefore = existingSharedState();

describe('daemon-backed real drivers on this host', () => {
  it('are registered, each naming its modeled counterpart', () => {
    expect(engineIds('real')).toEqual(expect.arrayContaining(['podman', 'containerd', 'docker-runsc']));
    for (const c of CASES) expect(loaded.get(c)!.driver.modeledCounterpart).toBe(c.counterpart);
  });

  for (const c of CASES) {
    it.skipIf(!loaded.get(c)!.availability.available)(
      `${title(c)}: boots, sizes, packs and loads the real thing, then leaves nothing behind${skipReason(c)}`,
      async () => {
        const { driver } = loaded.get(c)!;
        const measurement = await driver.measure(cellFor(c));
        if (measurement.state === 'unsuitable') throw new Error(measurement.reasons.join('; '));
        const s = measurement.samples;
        const notes = measurement.notes?.join('\n');
        expect(s.boot_time, notes).toHaveLength(3);
        for (const ms of s.boot_time!) expect(ms).toBeGreaterThan(0);
        expect(s.image_size![0], notes).toBeGreaterThan(0.5); // at least busybox, MiB
        expect(s['image_size.compressed']![0]).toBeGreaterThan(0.3);
        expect(s.density![0], notes).toBeGreaterThanOrEqual(1);
        expect(s['density.memory_per_instance'], notes).toHaveLength(2);
        for (const mib of s['density.memory_per_instance']!) expect(mib).toBeGreaterThan(0);
        for (const metric of ['overhead_cpu', 'overhead_memory', 'overhead_total'])
          expect(s[metric], `${metric}: ${notes}`).toHaveLength(1);
        const gvisor = c.runtime === 'runsc' || c.id === 'docker-runsc';
        if (gvisor) {
          // gVisor's kernel (2022) has no /proc/sys/kernel/random/boot_id to compare with the host's.
          expect(s['isolation.shared_kernel']).toBeUndefined();
          expect(notes).toMatch(/gVisor platform: \w+/);
        } else expect(s['isolation.shared_kernel'], notes).toEqual([1]);
        for (const metric of ['overhead_cpu', 'overhead_memory', 'overhead_syscall', 'overhead_disk'])
          expect(s[metric]![0], `${metric}: ${notes}`).toBeGreaterThan(-100); // a real time in the instance, not 0
        expect(await findLeftovers()).toEqual([]);
        expect(runCgroups()).toEqual([]);
        expect(existingSharedState()).toEqual(sharedStateBefore);
      },
      300_000,
    );
  }
});
