import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Availability } from '../engines/real/availability.js';
import type { RealDriver } from '../engines/real/driver-spec.js';
import { cgroupLayout, unprivilegedUserNamespaces } from '../engines/real/host/capabilities.js';
import { findLeftovers } from '../engines/real/host/leaks.js';
import { runIdIn, runIsAlive, runLabel } from '../engines/real/host/leftovers.js';
import { REAL_RUN_ID } from '../engines/real/host/spawn.js';
import { loadEngine } from '../engines/registry.js';
import type { Cell, NetworkMode, RealDriverOptions } from '../engines/types.js';
import { runCli, withTempDir } from './helpers.js';
import { QUICK_REAL, realTestCell, skipNote } from './real-cells.js';

/**
 * The container drivers beyond runc: crun, runsc (gVisor), bubblewrap, systemd-nspawn and LXC,
 * each against this host. A test skips, saying why, when its driver cannot run here (`virtbench
 * doctor` names the Debian packages); each ends by checking that nothing labeled with the run is
 * left: processes, containers, cgroups, nspawn and LXC state, temporary directories, mounts.
 */

const DRIVERS = ['crun', 'runsc', 'bwrap', 'nspawn', 'lxc'] as const;
type DriverId = (typeof DRIVERS)[number];

const COUNTERPARTS: Record<DriverId, string> = {
  crun: 'crun',
  runsc: 'gvisor',
  bwrap: 'bwrap',
  nspawn: 'nspawn',
  lxc: 'lxc',
};

const drivers = new Map<string, { driver: RealDriver; availability: Availability }>();
for (const id of DRIVERS) {
  const driver = (await loadEngine(id, 'real')) as RealDriver;
  drivers.set(id, { driver, availability: await driver.availability() });
}

function skipReason(id: string, availability = drivers.get(id)!.availability): string {
  return skipNote(availability);
}

function smallCell(real: RealDriverOptions = {}, network: NetworkMode = 'host'): Cell {
  return realTestCell({ scenario: 'real-containers-test', real: { ...QUICK_REAL, ...real }, network });
}

/** Measures a cell and checks what every container driver reports, then that nothing is left. */
async function measureAndCheck(id: DriverId, cell: Cell): Promise<readonly string[]> {
  const { driver } = drivers.get(id)!;
  const measurement = await driver.measure(cell);
  if (measurement.state === 'unsuitable') throw new Error(measurement.reasons.join('; '));
  const s = measurement.samples;
  const notes = measurement.notes ?? [];
  const context = notes.join('\n');
  expect(s.boot_time, context).toHaveLength(3);
  for (const ms of s.boot_time!) expect(ms).toBeGreaterThan(0);
  expect(s.image_size![0]).toBeGreaterThan(0.5); // at least busybox, MiB
  expect(s['density.memory_per_instance'], context).toHaveLength(2);
  for (const mib of s['density.memory_per_instance']!) expect(mib).toBeGreaterThan(0);
  for (const metric of ['overhead_cpu', 'overhead_memory', 'overhead_disk', 'overhead_total'])
    expect(s[metric], `${metric}: ${context}`).toHaveLength(1);
  // gVisor's kernel has no boot id of the host's; every other container shares the host kernel.
  if (id === 'runsc') expect(s['isolation.shared_kernel']).toBeUndefined();
  else expect(s['isolation.shared_kernel'], context).toEqual([1]);
  expect(await findLeftovers()).toEqual([]);
  return notes;
}

const unprivileged = await drivers.get('bwrap')!.driver.availability(smallCell({ user: 'unprivileged' }));

describe('container drivers on this host', () => {
  it('each is registered as a real driver naming its modeled counterpart', () => {
    for (const id of DRIVERS) {
      const { driver } = drivers.get(id)!;
      expect(driver.driver).toBe('real');
      expect(driver.modeledCounterpart).toBe(COUNTERPARTS[id]);
      expect(driver.kind).toBe(id === 'runsc' ? 'sandbox' : 'container');
    }
  });

  for (const id of DRIVERS) {
    it.skipIf(!drivers.get(id)!.availability.available)(
      `${id}: boots, sizes, packs and loads, then leaves nothing behind${skipReason(id)}`,
      async () => {
        const notes = await measureAndCheck(id, smallCell());
        if (id === 'runsc') expect(notes.some((n) => /^gVisor platform: (ptrace|systrap|kvm)$/.test(n))).toBe(true);
        if (id === 'crun' && (await cgroupLayout()).value === 'hybrid')
          expect(notes.some((n) => n.includes('private mount namespace'))).toBe(true);
      },
      id === 'runsc' ? 600_000 : 300_000,
    );
  }

  const nspawn = drivers.get('nspawn')!.availability;
  it.skipIf(!nspawn.available)(
    `nspawn with network bridge: its own network namespace and a veth pair, then nothing left${skipReason('nspawn')}`,
    async () => {
      const notes = await measureAndCheck('nspawn', smallCell({}, 'bridge'));
      expect(notes).toContain('nspawn: own network namespace with a veth pair to the host (--network-veth)');
    },
    300_000,
  );

  it.skipIf(!unprivileged.available)(
    `bwrap as an unprivileged user, in a user namespace${skipReason('bwrap', unprivileged)}`,
    async () => {
      const notes = await measureAndCheck('bwrap', smallCell({ user: 'unprivileged' }));
      expect(notes.some((n) => n.startsWith('bwrap: runs as') && n.includes('unprivileged'))).toBe(true);
    },
    300_000,
  );

  it('bwrap asked to run unprivileged where user namespaces are refused says why', async () => {
    const userns = await unprivilegedUserNamespaces();
    if (userns.value) expect(unprivileged.reasons).toEqual([]);
    else expect(unprivileged.reasons.join(' ')).toContain('user namespace');
  });

  it('runsc asked for a platform it cannot run is unavailable with the reason', async () => {
    const { driver, availability } = drivers.get('runsc')!;
    if (!availability.available) return;
    const kvm = await driver.availability(smallCell({ platform: 'kvm' }));
    const systrap = await driver.availability(smallCell({ platform: 'systrap' }));
    // At least one of them is not runnable on a host without KVM or with an old runsc.
    for (const outcome of [kvm, systrap])
      if (!outcome.available) expect(outcome.reasons.join(' ')).toMatch(/gVisor platform (kvm|systrap): /);
  }, 60_000);
});

describe('labels and leftovers', () => {
  it('every label carries the run id, and this run is alive', () => {
    const label = runLabel('boot');
    expect(label).toBe(`virtbench-${REAL_RUN_ID}-boot`);
    expect(runIdIn(label)).toBe(REAL_RUN_ID);
    expect(runIdIn(`/tmp/virtbench-real-${REAL_RUN_ID}-lxc-AbC123`)).toBe(REAL_RUN_ID);
    expect(runIdIn('virtbench-hand')).toBeUndefined();
    expect(runIsAlive(REAL_RUN_ID)).toBe(true);
    // pid 1 started after this id's time stamp (the epoch): the id names an earlier process, now gone.
    expect(runIsAlive('1-0')).toBe(false);
    expect(runIsAlive(`999999999-${Date.now().toString(36)}`)).toBe(false);
  });

  const killable = (['lxc', 'crun', 'nspawn'] as const).filter((id) => drivers.get(id)!.availability.available);
  for (const id of killable)
    it(`a run of ${id} killed with SIGKILL mid-boot leaves labeled leftovers, and virtbench clean removes them all`, async () => {
      await withTempDir(async (dir) => {
        const scenario = join(dir, 'killed.yaml');
        await writeFile(
          scenario,
          [
            'hardware: dev-laptop',
            'metrics: [boot_time, density]',
            'engines:',
            `  - { id: ${id}, driver: real, real: { bootIterations: 100000, bootWarmup: 0 } }`,
          ].join('\n'),
        );
        const child = spawn(process.execPath, ['bin/virtbench.js', 'run', scenario, '--out', dir], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        try {
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          const prefix = `${child.pid}-`;
          // Wait until its instances boot (their processes or cgroups are on the host), then kill it.
          const booting = async (): Promise<boolean> =>
            (await findLeftovers(prefix)).some((l) => l.startsWith('cgroup') || l.startsWith('nspawn state'));
          const deadline = Date.now() + 30_000;
          while (child.exitCode === null && Date.now() < deadline && !(await booting()))
            await new Promise((r) => setTimeout(r, 20));
          expect(child.exitCode, stderr).toBeNull();
          child.kill('SIGKILL');
          await exited;
          const left = await findLeftovers(prefix);
          expect(
            left.some((l) => l.startsWith('directory')),
            left.join('\n'),
          ).toBe(true);
          const clean = await runCli(['clean']);
          expect(clean.code, clean.stderr).toBe(0);
          expect(clean.stdout).toContain(`virtbench-real-${prefix}`);
          let after = await findLeftovers(prefix);
          for (let i = 0; i < 20 && after.length > 0; i++) {
            await new Promise((r) => setTimeout(r, 100)); // killed processes may take a moment to be reaped
            after = await findLeftovers(prefix);
          }
          expect(after).toEqual([]);
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
      });
    }, 120_000);

  it('clean --dry-run removes nothing and never lists a live run', async () => {
    const run = await runCli(['clean', '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as { dryRun: boolean; removed: string[] };
    expect(outcome.dryRun).toBe(true);
    for (const what of outcome.removed) expect(what).not.toContain(REAL_RUN_ID);
  });
});
