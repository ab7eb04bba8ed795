import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findHardware } from '../engines/hardware/index.js';
import { findImage } from '../engines/images.js';
import type { Availability } from '../engines/real/availability.js';
import type { RealDriver } from '../engines/real/driver-spec.js';
import { findLeftovers } from '../engines/real/host/leaks.js';
import { engineIds, loadEngine } from '../engines/registry.js';
import type { Cell } from '../engines/types.js';
import { runCli, withTempDir } from './helpers.js';

/**
 * The real drivers against this host. Each test skips, saying why, when its driver cannot run
 * here (`virtbench doctor` names the Debian packages), so the suite passes on a bare machine.
 * Every test ends by checking that nothing the run started is left: processes, containers,
 * images, temporary directories, mounts, network namespaces.
 */

const DRIVERS = ['process', 'namespaces', 'runc', 'docker', 'qemu'] as const;

const drivers = new Map<string, { driver: RealDriver; availability: Availability }>();
for (const id of DRIVERS) {
  const driver = (await loadEngine(id, 'real')) as RealDriver;
  drivers.set(id, { driver, availability: await driver.availability() });
}

function skipReason(id: string): string {
  const { availability } = drivers.get(id)!;
  return availability.available
    ? ''
    : ` (skipped: ${availability.reasons.join('; ')}; Debian packages: ${availability.packages.join(' ') || 'none'})`;
}

/** A small cell: few iterations, so the suite stays short on a 2-core CI machine. */
function smallCell(id: string): Cell {
  return {
    scenario: 'real-drivers-test',
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
      real: { bootWarmup: 1, bootIterations: 3, workloadRepetitions: 1, densityInstances: id === 'qemu' ? 1 : 2 },
    },
    repetitions: 3,
    seed: 1,
    metrics: ['boot_time', 'image_size', 'density', 'overhead', 'isolation'],
  } as Cell;
}

const TIMEOUT_MS: Record<string, number> = {
  process: 60_000,
  namespaces: 60_000,
  runc: 120_000,
  docker: 300_000,
  qemu: 900_000,
};

describe('real drivers on this host', () => {
  it('all five are registered, each naming its modeled counterpart', () => {
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
        expect(s['density.memory_per_instance']).toHaveLength(id === 'qemu' ? 1 : 2);
        for (const mib of s['density.memory_per_instance']!) expect(mib).toBeGreaterThan(0);
        for (const metric of ['overhead_cpu', 'overhead_memory', 'overhead_total'])
          expect(s[metric], `${metric}: ${measurement.notes?.join('\n')}`).toHaveLength(1);
        // A VM runs its own kernel; every other driver shares the host's.
        expect(s['isolation.shared_kernel']).toEqual([id === 'qemu' ? 0 : 1]);
        if (id === 'qemu') {
          for (const phase of ['boot_time.vmm', 'boot_time.kernel', 'boot_time.userspace'])
            expect(s[phase], phase).toHaveLength(3);
          expect(measurement.notes?.some((n) => n.startsWith('accelerator: '))).toBe(true);
          expect(['kvm', 'qemu-tcg']).toContain(driver.modeledCounterpart);
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
