import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Availability } from '../engines/real/availability.js';
import type { RealDriver } from '../engines/real/driver-spec.js';
import { cleanContainerdLeftovers } from '../engines/real/drivers/containerd.js';
import { cleanPodmanLeftovers } from '../engines/real/drivers/podman.js';
import { runCgroupParent } from '../engines/real/host/host-state.js';
import { findLeftovers } from '../engines/real/host/leaks.js';
import { runCommand } from '../engines/real/host/spawn.js';
import { openSession } from '../engines/real/measure/session.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import type { Cell, OciRuntime } from '../engines/types.js';
import { withTempDir } from './helpers.js';
import { QUICK_REAL, realTestCell, skipNote } from './real-cells.js';

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
  return realTestCell({
    scenario: 'real-daemon-drivers-test',
    real: { ...QUICK_REAL, ...(c.runtime ? { runtime: c.runtime } : {}) },
  });
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
  return skipNote(loaded.get(c)!.availability);
}

/** cgroup directories named for a run, in any hierarchy. */
function runCgroups(runIdPrefix?: string): string[] {
  const parent = runIdPrefix === undefined ? runCgroupParent() : `virtbench-${runIdPrefix}`;
  return readdirSync('/sys/fs/cgroup')
    .flatMap((hierarchy) => {
      try {
        return readdirSync(`/sys/fs/cgroup/${hierarchy}`)
          .filter((name) => name.startsWith(parent))
          .map((name) => `/sys/fs/cgroup/${hierarchy}/${name}`);
      } catch {
        return [];
      }
    })
    .filter((dir) => existsSync(dir));
}

/** Polls until `done` holds or `ms` pass. */
async function waitUntil(done: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await done())) await new Promise((r) => setTimeout(r, 200));
}

/**
 * Starts `virtbench run` booting `id` many times, waits until it is booting (its processes are on
 * the host) and a few seconds more, then sends `signal`. Returns the run's exit code, its stderr
 * and its run-id prefix.
 */
async function interruptRun(
  dir: string,
  id: string,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; stderr: string; prefix: string }> {
  const scenario = join(dir, 'interrupted.yaml');
  await writeFile(
    scenario,
    [
      'hardware: dev-laptop',
      'metrics: [boot_time]',
      'engines:',
      `  - { id: ${id}, driver: real, real: { bootIterations: 100000, bootWarmup: 0 } }`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['bin/virtbench.js', 'run', scenario, '--out', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `${child.pid}-`;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitUntil(async () => (await findLeftovers(prefix)).some((l) => l.startsWith('process')), 30_000);
    await new Promise((r) => setTimeout(r, 4000)); // into the boot loop: the daemon and containers exist
    expect(child.exitCode, stderr).toBeNull();
    child.kill(signal);
    return { code: await exited, stderr, prefix };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** What a run left, polled briefly: killed processes may take a moment to be reaped. */
async function settledLeftovers(prefix: string): Promise<string[]> {
  let left = await findLeftovers(prefix);
  for (let i = 0; i < 30 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    left = await findLeftovers(prefix);
  }
  return left;
}

/** cgroup directories named for this run, in any hierarchy. */
function runCgroupsOfThisRun(): string[] {
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
        expect(runCgroupsOfThisRun()).toEqual([]);
        expect(existingSharedState()).toEqual(sharedStateBefore);
      },
      300_000,
    );
  }

  const containerd = CASES.find((c) => c.id === 'containerd')!;
  it.skipIf(!loaded.get(containerd)!.availability.available)(
    `SIGINT while containerd boots stops the run (130), its daemon and shims, leaving nothing${skipReason(containerd)}`,
    async () => {
      await withTempDir(async (dir) => {
        const { code, stderr, prefix } = await interruptRun(dir, 'containerd', 'SIGINT');
        expect(code, stderr).toBe(130);
        expect(await settledLeftovers(prefix)).toEqual([]);
        expect(runCgroups(prefix)).toEqual([]);
      });
    },
    180_000,
  );

  const cleaners: readonly [Case, (prefix: string) => string[]][] = [
    [containerd, cleanContainerdLeftovers],
    [CASES[0]!, cleanPodmanLeftovers],
  ];
  for (const [c, clean] of cleaners)
    it.skipIf(!loaded.get(c)!.availability.available)(
      `${c.id}: what a killed run leaves (SIGKILL: no teardown ran) is found and removed by its cleaner${skipReason(c)}`,
      async () => {
        await withTempDir(async (dir) => {
          const { prefix } = await interruptRun(dir, c.id, 'SIGKILL');
          expect((await findLeftovers(prefix)).length).toBeGreaterThan(0);
          const removed = clean(prefix);
          expect(removed.length).toBeGreaterThan(0);
          expect(await settledLeftovers(prefix)).toEqual([]);
          expect(runCgroups(prefix)).toEqual([]);
        });
      },
      180_000,
    );

  for (const c of [CASES[0]!, containerd])
    it.skipIf(!loaded.get(c)!.availability.available)(
      `${c.id}: discardImage leaves nothing to boot from and prepareImage makes it bootable again${skipReason(c)}`,
      async () => {
        const opened = await openSession(loaded.get(c)!.driver.spec, cellFor(c));
        if (opened.state !== 'open') throw new Error(opened.reason);
        try {
          const session = opened.session as typeof opened.session & {
            prepareImage(): Promise<void>;
            discardImage(): Promise<void>;
          };
          const boot = (): Promise<{ code: number | null; stdout: string }> =>
            runCommand(session.boot.argv, { timeoutMs: 60_000, allowFailure: true });
          await session.discardImage();
          expect((await boot()).code).not.toBe(0);
          await session.prepareImage();
          const booted = await boot();
          expect(booted.code).toBe(0);
          expect(booted.stdout).toContain(session.boot.marker);
        } finally {
          await opened.close();
        }
        expect(await findLeftovers()).toEqual([]);
      },
      120_000,
    );
});
