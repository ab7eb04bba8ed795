import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Availability } from '../engines/real/availability.js';
import type { RealDriver } from '../engines/real/driver-spec.js';
import { findLeftovers } from '../engines/real/host/leaks.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import type { Cell } from '../engines/types.js';
import { runCli, withTempDir } from './helpers.js';
import { QUICK_REAL, realTestCell, skipNote } from './real-cells.js';

/**
 * The real drivers against this host. Each test skips, saying why, when its driver cannot run
 * here (`virtbench doctor` names the Debian packages), so the suite passes on a bare machine.
 * Every test ends by checking that nothing the run started is left: processes, containers,
 * images, temporary directories, mounts, network namespaces.
 */

const DRIVERS = ['process', 'namespaces', 'runc', 'docker', 'qemu', 'qemu-microvm'] as const;
const VMS: readonly string[] = ['qemu', 'qemu-microvm'];

const drivers = new Map<string, { driver: RealDriver; availability: Availability }>();
for (const id of DRIVERS) {
  const driver = (await loadEngine(id, 'real')) as RealDriver;
  drivers.set(id, { driver, availability: await driver.availability() });
}

function skipReason(id: string): string {
  return skipNote(drivers.get(id)!.availability);
}

/** A quick cell; VMs start one idle instance for density, containers two. */
function smallCell(id: string, real: Cell['options']['real'] = {}, metrics?: string[]): Cell {
  return realTestCell({
    scenario: 'real-drivers-test',
    real: { ...QUICK_REAL, densityInstances: VMS.includes(id) ? 1 : 2, ...real },
    ...(metrics ? { metrics } : {}),
  });
}

const TIMEOUT_MS: Record<string, number> = {
  process: 60_000,
  namespaces: 60_000,
  runc: 120_000,
  docker: 300_000,
  qemu: 900_000,
  'qemu-microvm': 900_000,
};

describe('real drivers on this host', () => {
  it('the first drivers are registered, each naming its modeled counterpart', () => {
    expect(engineIds('real')).toEqual(expect.arrayContaining([...DRIVERS]));
    for (const { driver } of drivers.values()) {
      expect(driver.driver).toBe('real');
      expect(driver.modeledCounterpart).toMatch(/^[a-z-]+$/);
    }
  });

  for (const id of DRIVERS) {
    const available = drivers.get(id)!.availability.available;
    it.skipIf(!available)(
      `${id}: boots, sizes, packs and loads the real thing, then leaves nothing behind${skipReason(id)}`,
      async () => {
        const { driver } = drivers.get(id)!;
        const measurement = await driver.measure(smallCell(id));
        if (measurement.state === 'unsuitable') throw new Error(measurement.reasons.join('; '));
        const s = measurement.samples;
        expect(s.boot_time, measurement.notes?.join('\n')).toHaveLength(3);
        for (const ms of s.boot_time!) expect(ms).toBeGreaterThan(0);
        expect(s.image_size![0]).toBeGreaterThan(0.5); // at least busybox, MiB
        expect(s.density![0]).toBeGreaterThanOrEqual(1);
        expect(['memory', 'cpu', 'storage']).toContain(measurement.densityBinding);
        expect(s['density.memory_per_instance']).toHaveLength(VMS.includes(id) ? 1 : 2);
        for (const mib of s['density.memory_per_instance']!) expect(mib).toBeGreaterThan(0);
        for (const metric of ['overhead_cpu', 'overhead_memory', 'overhead_total'])
          expect(s[metric], `${metric}: ${measurement.notes?.join('\n')}`).toHaveLength(1);
        // A VM runs its own kernel; every other driver shares the host's.
        expect(s['isolation.shared_kernel']).toEqual([VMS.includes(id) ? 0 : 1]);
        // Spawn to ready is boot_time, and its last phase; where the command outlives its readiness,
        // ready to exit is teardown_time.
        expect(s['boot_time.workload_ready']).toEqual(s.boot_time);
        if (id === 'process' || id === 'docker') expect(s.teardown_time).toBeUndefined();
        else {
          expect(s.teardown_time).toHaveLength(3);
          for (const ms of s.teardown_time!) expect(ms).toBeGreaterThanOrEqual(0);
        }
        if (VMS.includes(id)) {
          // The guest's clock, anchored on the readiness line: kernel entry, then /init, then ready.
          for (const phase of ['boot_time.kernel_entry', 'boot_time.init']) expect(s[phase], phase).toHaveLength(3);
          for (let i = 0; i < 3; i++) {
            expect(s['boot_time.kernel_entry']![i]).toBeLessThanOrEqual(s['boot_time.init']![i]!);
            expect(s['boot_time.init']![i]).toBeLessThanOrEqual(s.boot_time![i]!);
          }
          expect(measurement.notes?.some((n) => n.startsWith('accelerator: '))).toBe(true);
          expect(id === 'qemu' ? ['kvm', 'qemu-tcg'] : ['qemu-microvm']).toContain(driver.modeledCounterpart);
        }
        if (id === 'qemu-microvm') {
          expect(measurement.notes).toContain('machine: -M microvm, firmware qboot (/usr/share/qemu/qboot.rom)');
          if (measurement.notes?.some((n) => n.startsWith('accelerator: TCG')))
            expect(measurement.notes?.some((n) => n.includes('tsc_early_khz='))).toBe(true);
        }
        expect(await findLeftovers()).toEqual([]);
      },
      TIMEOUT_MS[id],
    );
  }

  it('doctor lists every driver as available or not, with the reason and its Debian packages, and exits 0', async () => {
    const run = await runCli(['doctor']);
    expect(run.code).toBe(0);
    for (const id of DRIVERS) {
      const { availability } = drivers.get(id)!;
      expect(run.stdout).toMatch(new RegExp(`^${id}\\s+${availability.available ? 'available' : 'missing'}`, 'm'));
      for (const reason of availability.reasons) expect(run.stdout).toContain(reason);
    }
    expect(run.stdout).toContain('Debian packages: qemu-system-x86, busybox-static, linux-image-cloud-amd64');
    const json = JSON.parse((await runCli(['doctor', '--json'])).stdout) as {
      drivers: { id: string; availability: Availability }[];
    };
    expect(json.drivers.map((d) => d.id)).toEqual(expect.arrayContaining([...DRIVERS]));
  }, 60_000);

  it('a driver that cannot run is skipped with its reason, and the run still succeeds', async () => {
    await withTempDir(async (dir) => {
      const scenario = join(dir, 'missing-kernel.yaml');
      await writeFile(
        scenario,
        [
          'hardware: dev-laptop',
          'repetitions: 2',
          'metrics: [boot_time]',
          'engines:',
          '  - native',
          `  - { id: qemu, driver: real, real: { kernel: ${join(dir, 'no-such-vmlinuz')} } }`,
        ].join('\n'),
      );
      const run = await runCli(['run', scenario, '--out', dir]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('Skipped');
      expect(run.stdout).toMatch(/qemu.*unavailable/);
      const csv = await readFile(join(dir, 'missing-kernel.csv'), 'utf8');
      expect(csv).not.toMatch(/,real,/);
    });
  }, 60_000);

  it.skipIf(!drivers.get('runc')!.availability.available)(
    `a full temporary folder stops the run with exit 3, naming where it could not write${skipReason('runc')}`,
    async () => {
      await withTempDir(async (dir) => {
        const scenario = join(dir, 'full-disk.yaml');
        await writeFile(
          scenario,
          ['hardware: dev-laptop', 'metrics: [boot_time]', 'engines:', '  - { id: runc, driver: real }'].join('\n'),
        );
        // A 64 KiB file-size limit: the runc bundle's busybox cannot be written, as on a full disk.
        const child = spawn(
          'bash',
          [
            '-c',
            'ulimit -f 64; exec "$@"',
            'bash',
            process.execPath,
            'bin/virtbench.js',
            'run',
            scenario,
            '--out',
            join(dir, 'out'),
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
        expect(code, stderr).toBe(3);
        expect(stderr).toMatch(
          /^virtbench: could not write \S+virtbench-real-\S+ \(preparing runc under TMPDIR\): file too large/m,
        );
        expect(existsSync(join(dir, 'out', 'full-disk.csv'))).toBe(false);
      });
    },
    60_000,
  );

  const interruptible = DRIVERS.find((id) => id === 'runc' && drivers.get(id)!.availability.available) ?? 'process';
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)
    it.skipIf(!drivers.get(interruptible)!.availability.available)(
      `${signal} in the middle of a real run (${interruptible}) exits ${code} and leaves nothing behind${skipReason(interruptible)}`,
      async () => {
        await withTempDir(async (dir) => {
          const scenario = join(dir, 'interrupted.yaml');
          await writeFile(
            scenario,
            [
              'hardware: dev-laptop',
              'metrics: [boot_time]',
              'engines:',
              `  - { id: ${interruptible}, driver: real, real: { bootIterations: 100000, bootWarmup: 0 } }`,
            ].join('\n'),
          );
          const child = spawn(process.execPath, ['bin/virtbench.js', 'run', scenario, '--out', dir], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          try {
            let stderr = '';
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
            const prefix = `${child.pid}-`;
            // Wait until the run is booting instances (its processes are on the host), then interrupt
            // it. Each boot lives a fraction of a second, so on a loaded host a scan of /proc can miss
            // every one: after 15 s the run is in its 100,000-boot loop whether a scan saw it or not.
            const booting = async (): Promise<boolean> =>
              (await findLeftovers(prefix)).some((l) => l.startsWith('process'));
            const deadline = Date.now() + 15_000;
            while (child.exitCode === null && Date.now() < deadline && !(await booting()))
              await new Promise((r) => setTimeout(r, 100));
            expect(child.exitCode, stderr).toBeNull();
            child.kill(signal);
            expect(await exited, stderr).toBe(code);
            expect(stderr).toContain(signal);
            expect(stderr).not.toContain('internal error');
            // A stopped run writes no report, and its temporary report files are gone.
            expect(await readdir(dir)).toEqual(['interrupted.yaml']);
            let left = await findLeftovers(prefix);
            for (let i = 0; i < 20 && left.length > 0; i++) {
              await new Promise((r) => setTimeout(r, 100)); // killed processes may take a moment to be reaped
              left = await findLeftovers(prefix);
            }
            expect(left).toEqual([]);
          } finally {
            // A failed assertion must not leave the run booting on the host.
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
          }
        });
      },
      120_000,
    );
});

describe('start modes', () => {
  const isRoot = process.getuid?.() === 0;
  const bootOnly = (id: string, real: Cell['options']['real']): Cell =>
    smallCell(id, { bootWarmup: 0, bootIterations: 2, ...real }, ['boot_time']);
  const measured = async (id: string, real: Cell['options']['real']): Promise<Record<string, number[]>> => {
    const measurement = await drivers.get(id)!.driver.measure(bootOnly(id, real));
    if (measurement.state === 'unsuitable') throw new Error(measurement.reasons.join('; '));
    const mode = `boot_time: start mode ${real?.startMode ?? 'warm'} (`;
    expect(measurement.notes?.some((n) => n.startsWith(mode))).toBe(true);
    expect(measurement.samples.boot_time).toHaveLength(2);
    expect(await findLeftovers()).toEqual([]);
    return measurement.samples;
  };

  it.skipIf(!isRoot || !drivers.get('process')!.availability.available)(
    `cold: the page cache is dropped before each boot${isRoot ? skipReason('process') : ' (skipped: not root)'}`,
    async () => {
      const samples = await measured('process', { startMode: 'cold' });
      for (const ms of samples.boot_time!) expect(ms).toBeGreaterThan(0);
    },
    60_000,
  );

  for (const id of ['process', 'runc'] as const)
    it.skipIf(!drivers.get(id)!.availability.available)(
      `image-inclusive (${id}): preparing the image is the first part of each start${skipReason(id)}`,
      async () => {
        const samples = await measured(id, { startMode: 'image-inclusive' });
        for (let i = 0; i < 2; i++) {
          expect(samples['boot_time.image_ready']![i]).toBeGreaterThan(0);
          expect(samples['boot_time.image_ready']![i]).toBeLessThan(samples.boot_time![i]!);
        }
      },
      120_000,
    );

  it('restore, where a driver cannot checkpoint: unsuitable with the reason, never another mode', async () => {
    const measurement = await drivers.get('process')!.driver.measure(bootOnly('process', { startMode: 'restore' }));
    expect(measurement).toEqual({
      state: 'unsuitable',
      reasons: [
        'process: start mode restore: this driver cannot checkpoint a running instance and start from the checkpoint',
      ],
    });
  });

  it.skipIf(!drivers.get('qemu-microvm')!.availability.available)(
    `restore (qemu-microvm): savevm once, then every boot is a loadvm; the overlay and monitor socket go with the run${skipReason('qemu-microvm')}`,
    async () => {
      const samples = await measured('qemu-microvm', { startMode: 'restore' });
      expect(samples.teardown_time).toHaveLength(2);
      // A restored guest has no kernel boot to date: only readiness is a phase.
      expect(samples['boot_time.kernel_entry']).toBeUndefined();
    },
    600_000,
  );

  it.skipIf(!drivers.get('qemu')!.availability.available)(
    `firmware none: unsuitable, saying QEMU always runs firmware and qboot is the smallest${skipReason('qemu')}`,
    async () => {
      const measurement = await drivers.get('qemu')!.driver.measure(bootOnly('qemu', { firmware: 'none' }));
      expect(measurement.state).toBe('unsuitable');
      if (measurement.state === 'unsuitable') expect(measurement.reasons.join()).toMatch(/reset vector.*qboot/);
      expect(await findLeftovers()).toEqual([]);
    },
    60_000,
  );

  it.skipIf(!drivers.get('qemu-microvm')!.availability.available)(
    `a boot that times out (qemu-microvm) is reported and leaves no QEMU, overlay or socket behind${skipReason('qemu-microvm')}`,
    async () => {
      const measurement = await drivers
        .get('qemu-microvm')!
        .driver.measure(bootOnly('qemu-microvm', { startMode: 'restore', timeoutMs: 300 }));
      expect(measurement.state).toBe('unsuitable');
      if (measurement.state === 'unsuitable') expect(measurement.reasons.join()).toMatch(/300 ms/);
      expect(await findLeftovers()).toEqual([]);
    },
    120_000,
  );

  it.skipIf(!drivers.get('qemu-microvm')!.availability.available)(
    `SIGINT while a restore run (qemu-microvm) is checkpointing or booting exits 130 and leaves nothing behind${skipReason('qemu-microvm')}`,
    async () => {
      await withTempDir(async (dir) => {
        const scenario = join(dir, 'interrupted.yaml');
        await writeFile(
          scenario,
          [
            'hardware: dev-laptop',
            'metrics: [boot_time]',
            'engines:',
            '  - { id: qemu-microvm, driver: real, real: { startMode: restore, bootIterations: 1000, bootWarmup: 0 } }',
          ].join('\n'),
        );
        const child = spawn(process.execPath, ['bin/virtbench.js', 'run', scenario, '--out', dir], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        try {
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
          const prefix = `${child.pid}-`;
          // Interrupt once a QEMU of the run is up (the checkpointed guest, or a restored one).
          const deadline = Date.now() + 120_000;
          while (
            child.exitCode === null &&
            Date.now() < deadline &&
            !(await findLeftovers(prefix)).some((l) => l.includes('qemu-system'))
          )
            await new Promise((r) => setTimeout(r, 200));
          expect(child.exitCode, stderr).toBeNull();
          child.kill('SIGINT');
          expect(await exited, stderr).toBe(130);
          let left = await findLeftovers(prefix);
          for (let i = 0; i < 20 && left.length > 0; i++) {
            await new Promise((r) => setTimeout(r, 100));
            left = await findLeftovers(prefix);
          }
          expect(left).toEqual([]);
          expect(await readdir(dir)).toEqual(['interrupted.yaml']);
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        }
      });
    },
    240_000,
  );
});
