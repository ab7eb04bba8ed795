import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareModelWithReal, modelError, renderModelVsReal } from '../bench/report/model-vs-real.js';
import type { RunResult } from '../bench/report/results.js';
import { loadScenario } from '../bench/scenario/load.js';
import { findHardware } from '../engines/hardware/index.js';
import { qemuTcg } from '../engines/modeled/qemu-tcg.js';
import { type ArchiveEntry, cpioArchive, tarArchive } from '../engines/real/guest/archive.js';
import { elfLinkage } from '../engines/real/guest/busybox.js';
import { parseGuestDmesg, parseWorkOutput, WORK_SCRIPT } from '../engines/real/guest/scripts.js';
import { pendingCleanups, registerCleanup, runAllCleanups } from '../engines/real/host/cleanup.js';
import { findTool } from '../engines/real/host/spawn.js';
import { densityInstanceCount, extrapolateDensity } from '../engines/real/measure/density.js';
import { calibrateHost, fitHostProfile } from '../engines/real/measure/host-profile.js';
import { Launcher, type LaunchTiming, withoutOverhead } from '../engines/real/measure/launcher.js';
import { overheadSamples } from '../engines/real/measure/overhead.js';
import { defaultMemoryBudgetMiB } from '../engines/real/options.js';
import { withTempDir } from './helpers.js';
import { hyperfineCommand } from './perf/real-vs-hyperfine.js';

const entries: ArchiveEntry[] = [
  { type: 'dir', path: 'bin' },
  { type: 'file', path: 'bin/hello', data: Buffer.from('#!/bin/sh\necho hello\n'), mode: 0o755 },
  { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
];

describe('archives', () => {
  it('writes ustar headers whose checksums verify and whose records are 512-byte aligned', () => {
    const tar = tarArchive(entries);
    expect(tar.length % 512).toBe(0);
    const header = tar.subarray(0, 512);
    const stored = parseInt(header.toString('ascii', 148, 154), 8);
    const copy = Buffer.from(header);
    copy.fill(0x20, 148, 156);
    expect(copy.reduce((sum, b) => sum + b, 0)).toBe(stored);
    expect(header.toString('ascii', 257, 262)).toBe('ustar');
  });

  it('is readable by the tar tool, names, types and contents intact', async () => {
    const tarTool = findTool('tar');
    if (!tarTool) return; // nothing to cross-check with; the header test above still runs
    await withTempDir(async (dir) => {
      const file = join(dir, 'layer.tar');
      await writeFile(file, tarArchive(entries));
      const listing = spawnSync(tarTool, ['-tvf', file], { encoding: 'utf8' }).stdout;
      expect(listing).toMatch(/^d.* \.\/bin\/$/m);
      expect(listing).toMatch(/^-rwxr-xr-x.* \.\/bin\/hello$/m);
      expect(listing).toMatch(/^l.* \.\/bin\/sh -> busybox$/m);
      expect(listing).toMatch(/^c.* 1,3 .*\.\/dev\/null$/m);
      const content = spawnSync(tarTool, ['-xOf', file, './bin/hello'], { encoding: 'utf8' }).stdout;
      expect(content).toBe('#!/bin/sh\necho hello\n');
    });
  });

  it('writes newc cpio records the kernel can walk: magic, names, 4-byte alignment and a trailer', () => {
    const cpio = cpioArchive(entries);
    const names: string[] = [];
    let at = 0;
    for (;;) {
      expect(cpio.toString('ascii', at, at + 6)).toBe('070701');
      const field = (i: number): number => parseInt(cpio.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
      const fileSize = field(6);
      const nameSize = field(11);
      const name = cpio.toString('utf8', at + 110, at + 110 + nameSize - 1);
      names.push(name);
      const dataStart = Math.ceil((at + 110 + nameSize) / 4) * 4;
      at = Math.ceil((dataStart + fileSize) / 4) * 4;
      if (name === 'TRAILER!!!') break;
    }
    expect(names).toEqual(['bin', 'bin/hello', 'bin/sh', 'dev/null', 'TRAILER!!!']);
    expect(at).toBe(cpio.length);
  });

  it('is byte-identical for identical contents, so image sizes are stable', () => {
    expect(tarArchive(entries).equals(tarArchive(entries))).toBe(true);
    expect(cpioArchive(entries).equals(cpioArchive(entries))).toBe(true);
  });
});

describe('static binaries', () => {
  it('tells a dynamically linked executable from a static one by its PT_INTERP header', async () => {
    expect(await elfLinkage(process.execPath)).toBe('dynamic');
    expect(await elfLinkage('/proc/self/status')).toBeUndefined();
  });
});

describe('density extrapolation', () => {
  const host = {
    availableMiB: 8192,
    hostThreads: 4,
    freeStorageMiB: 100_000,
    targetCpuUtilization: 0.8,
    appDemandCores: 0.1,
    appWrittenMiB: 10,
  };

  it('divides each resource by the measured per-instance cost and binds on the scarcest', () => {
    const estimate = extrapolateDensity(
      { pssKiB: [100 * 1024, 300 * 1024], idleCores: [0, 0], storageBytes: [0, 0] },
      host,
    );
    expect(estimate.memoryPerInstanceMiB).toBe(200);
    expect(estimate.limits.memory).toBe(40); // 8192 / 200
    expect(estimate.limits.cpu).toBe(32); // 4 * 0.8 / 0.1
    expect(estimate.limits.storage).toBe(10_000); // 100000 / 10
    expect(estimate.binding).toBe('cpu');
    expect(estimate.instances).toBe(32);
  });

  it('counts measured idle CPU on top of the application, and caps VMs by vCPU overcommit', () => {
    const estimate = extrapolateDensity(
      { pssKiB: [10 * 1024], idleCores: [0.1], storageBytes: [0] },
      { ...host, vcpuOvercommit: 2, vcpus: 2 },
    );
    expect(estimate.cpuPerInstanceCores).toBeCloseTo(0.2);
    expect(estimate.limits.cpu).toBe(4); // min(4 * 0.8 / 0.2 = 16, 4 * 2 / 2 = 4)
  });

  it('starts what the scenario asks for, fewer when the budget cannot hold them', () => {
    expect(densityInstanceCount(8, 4096, 256)).toBe(8);
    expect(densityInstanceCount(8, 1000, 300)).toBe(3);
    expect(densityInstanceCount(8, 100, 300)).toBe(0);
    expect(defaultMemoryBudgetMiB(8000)).toBe(2000);
    expect(defaultMemoryBudgetMiB(64_000)).toBe(4096);
  });
});

describe('in-instance output', () => {
  it('reads workload times and the kernel boot id, ignoring failed workloads', () => {
    const report = parseWorkOutput([
      'virtbench-work cpu 120000',
      'virtbench-work memory 80000',
      'virtbench-work-failed disk',
      'noise',
      'virtbench-boot-id 0b3f3c2e-4a8e-4c1b-9d7e-2f1a6c5e9b00',
    ]);
    expect(report.times.cpu).toEqual([120000]);
    expect(report.times.memory).toEqual([80000]);
    expect(report.times.disk).toEqual([]);
    expect(report.bootId).toBe('0b3f3c2e-4a8e-4c1b-9d7e-2f1a6c5e9b00');
  });

  it('dates /init and the marker from the guest kernel log', () => {
    const stamps = parseGuestDmesg([
      'virtbench-ready',
      'virtbench-dmesg [    1.204511] Run /init as init process',
      'virtbench-dmesg [    1.351002] virtbench-ready',
    ]);
    expect(stamps.initStartS).toBeCloseTo(1.204511);
    expect(stamps.readyS).toBeCloseTo(1.351002);
  });

  it('turns paired native and instance times into overhead percentages, cpu including system calls', () => {
    const times = (cpu: number, syscall: number) => ({ cpu: [cpu], memory: [100], syscall: [syscall], disk: [100] });
    const notes: string[] = [];
    const samples = overheadSamples({ native: { times: times(100, 100) }, instance: { times: times(150, 50) } }, notes);
    expect(samples.overhead_cpu).toEqual([0]); // (150 + 50) / (100 + 100) - 1
    expect(samples.overhead_syscall).toEqual([-50]);
    expect(samples.overhead_memory).toEqual([0]);
    expect(samples.overhead_total).toEqual([0]);
    expect(notes.join()).toContain('workloads (median)');
  });

  it('runs the same fixed work everywhere: every workload is in the script', () => {
    for (const name of ['cpu', 'memory', 'syscall', 'disk']) expect(WORK_SCRIPT).toContain(`work ${name} `);
  });
});

describe('model against measurement', () => {
  it('gives relative error for quantities, points for overheads and match for flags', () => {
    expect(modelError('ms', 100, 150)).toEqual({ error: 50, errorKind: 'relative' });
    expect(modelError('%', 10, 4)).toEqual({ error: -6, errorKind: 'points' });
    expect(modelError('flag', 1, 0)).toEqual({ error: 1, errorKind: 'match' });
  });

  it('pairs a real driver with its modeled counterpart at the same point, not with a same-id engine of the other driver', () => {
    const row = (engine: string, driver: 'model' | 'real', metric: string, p50: number) =>
      ({
        scenario: 's',
        engine,
        kind: 'container',
        driver,
        hardware: 'host',
        metric,
        unit: 'ms',
        detail: '',
        params: {},
        samples: [p50],
        n: 1,
        mean: p50,
        p50,
        p95: p50,
        p99: p50,
        min: p50,
        max: p50,
        stddev: 0,
        ci95Low: p50,
        ci95High: p50,
      }) as const;
    const result = {
      engines: [
        { id: 'docker', title: 'model', kind: 'container', driver: 'model' },
        { id: 'docker', title: 'real', kind: 'container', driver: 'real', modeledCounterpart: 'docker' },
      ],
      rows: [row('docker', 'model', 'boot_time', 300), row('docker', 'real', 'boot_time', 600)],
    } as unknown as RunResult;
    const [comparison] = compareModelWithReal(result);
    expect(comparison?.metrics).toEqual([
      { metric: 'boot_time', unit: 'ms', measured: 600, modeled: 300, error: -50, errorKind: 'relative' },
    ]);
  });
  it('shows a measured application figure beside an empty model column when the model predicts none', () => {
    const row = (driver: 'model' | 'real', metric: string, unit: string, p50: number) =>
      ({ engine: 'runc', driver, metric, unit, params: { 'workload.name': 'kv-get' }, p50 }) as const;
    const result = {
      engines: [
        { id: 'runc', title: 'model', kind: 'container', driver: 'model' },
        { id: 'runc', title: 'real', kind: 'container', driver: 'real', modeledCounterpart: 'runc' },
      ],
      hardware: { id: 'host' },
      rows: [
        row('model', 'overhead_network', '%', 4),
        row('real', 'throughput', 'ops/s', 12000),
        row('real', 'overhead_network', '%', 10),
      ],
    } as unknown as RunResult;
    expect(compareModelWithReal(result)[0]?.metrics).toEqual([
      { metric: 'throughput', unit: 'ops/s', measured: 12000 },
      { metric: 'overhead_network', unit: '%', measured: 10, modeled: 4, error: -6, errorKind: 'points' },
    ]);
    expect(renderModelVsReal(result, { color: false })).toMatch(/throughput\s+12[,.]?000 ops\/s\s+—\s+—/);
  });
});

describe('launcher round trip', () => {
  const timing: LaunchTiming = { readyMs: 2.5, exitMs: 3, code: 0, lines: ['ready'], stderr: '' };

  it("takes the launcher's own round trip out of the ready and exit times", () => {
    const corrected = withoutOverhead(timing, { readyMs: 0.25, exitMs: 0.5 });
    expect(corrected.readyMs).toBeCloseTo(2.25, 12);
    expect(corrected.exitMs).toBeCloseTo(2.5, 12);
    expect(corrected.lines).toEqual(['ready']);
  });

  it('never makes a time negative', () => {
    expect(withoutOverhead(timing, { readyMs: 4, exitMs: 4 })).toMatchObject({ readyMs: 0, exitMs: 0 });
  });

  it('times a shell builtin, which starts no process, through the same launcher', async () => {
    const launcher = new Launcher();
    try {
      const overhead = await launcher.overhead(5, 1, 10_000);
      expect(Number.isFinite(overhead.readyMs) && overhead.readyMs >= 0).toBe(true);
      // The ready line is printed before the exit line on the same pipe.
      expect(overhead.exitMs).toBeGreaterThanOrEqual(overhead.readyMs);
      // The launcher stays usable for the boots that follow.
      const after = await launcher.time(['printf', '%s\\n', 'still-here'], 'still-here', 10_000);
      expect(after.code).toBe(0);
    } finally {
      launcher.close();
    }
  });
});

describe('hyperfine command lines', () => {
  it('quotes words so hyperfine -N splits them back into the same argv', () => {
    expect(hyperfineCommand(['/usr/bin/runc', 'run', '--bundle', '/tmp/a b', "it's"])).toBe(
      `/usr/bin/runc run --bundle '/tmp/a b' 'it'\\''s'`,
    );
  });
});

describe('cleanup registry', () => {
  it('tears down newest first, once, and reports what failed', () => {
    const order: string[] = [];
    registerCleanup('first', () => order.push('first'));
    const second = registerCleanup('second', () => order.push('second'));
    registerCleanup('broken', () => {
      throw new Error('boom');
    });
    second.release();
    second.release();
    const failures = runAllCleanups();
    expect(order).toEqual(['second', 'first']);
    expect(failures).toEqual(['broken: boom']);
    expect(pendingCleanups()).toEqual([]);
  });
});

describe('calibrate --host', () => {
  const row = (engine: string, metric: string, p50: number) => ({
    engine,
    driver: 'real',
    metric,
    p50,
    n: 10,
    stddev: 1,
  });
  const run = {
    scenario: { name: 'real-host', file: 'scenarios/real-host.yaml' },
    hardware: findHardware('dev-laptop')!,
    engines: [{ id: 'qemu', driver: 'real', modeledCounterpart: 'qemu-tcg' }],
    rows: [
      row('process', 'boot_time', 2),
      row('namespaces', 'boot_time', 7),
      row('runc', 'boot_time', 70),
      row('docker', 'boot_time', 500),
      row('qemu', 'boot_time.kernel_entry', 900),
      row('docker', 'density.memory_per_instance', 4),
      row('process', 'density.memory_per_instance', 3),
      row('namespaces', 'density.memory_per_instance', 5),
      row('qemu', 'overhead_cpu', 700),
      row('runc', 'overhead_memory', -3),
    ],
  };

  it('fits engine parameters other than start-up, which is priced by the host unit costs', () => {
    const profile = fitHostProfile(run, 'result.json');
    const value = (stem: string, name: string) => profile.profiles[stem]?.params.find((p) => p.name === name)?.value;
    for (const stem of ['native', 'namespaces', 'runc', 'docker'])
      expect(profile.profiles[stem]?.params.filter((p) => p.group === 'boot') ?? []).toEqual([]);
    expect(profile.notes).toContainEqual(expect.stringMatching(/start-up is not an engine parameter/));
    expect(value('docker', 'instanceOverheadMiB')).toBe(4);
    expect(value('qemu-tcg', 'firmwareMs')).toBe(
      900 - qemuTcg.spec.boot.vmmStartMs.value - qemuTcg.spec.boot.bootloaderMs.value,
    );
    expect(value('qemu-tcg', 'cpuFraction')).toBe(7);
    expect(value('runc', 'memoryBandwidthFraction')).toBe(0); // a negative overhead is noise, not a speed-up
  });

  it('keeps the default of a parameter its samples do not resolve, and says why', () => {
    // 3 samples with a standard deviation of 24 points: a 20% CPU overhead is noise, not a fit.
    const noisy = {
      ...run,
      rows: [
        ...run.rows,
        { ...row('runc', 'overhead_cpu', 20), n: 3, stddev: 24 },
        { ...row('docker', 'overhead_cpu', 20), n: 30, stddev: 30 },
        { ...row('namespaces', 'overhead_cpu', 20), n: 30, stddev: 5 },
      ],
    };
    const profile = fitHostProfile(noisy, 'result.json');
    const value = (stem: string, name: string) => profile.profiles[stem]?.params.find((p) => p.name === name)?.value;
    expect(value('runc', 'cpuFraction')).toBeUndefined();
    expect(profile.notes).toContainEqual(
      expect.stringMatching(
        /^host-runc costs\.cpuFraction not fitted, keeps the docker default 0: 3 samples, fewer than the 5/,
      ),
    );
    // Enough samples, but an interval of 20 ± 11 is wider than the 20 points it would fit.
    expect(value('docker', 'cpuFraction')).toBeUndefined();
    expect(profile.notes).toContainEqual(
      expect.stringMatching(/^host-docker costs\.cpuFraction not fitted.*20 ± 11\.2, is wider than the effect/),
    );
    // 20 ± 1.9 resolves it.
    expect(value('namespaces', 'cpuFraction')).toBe(0.2);
    expect(profile.profiles.namespaces!.params.find((p) => p.name === 'cpuFraction')!.source).toMatch(
      /95% CI ± 1\.867/,
    );
  });

  it('writes profiles that a scenario can load with profile:', async () => {
    await withTempDir(async (dir) => {
      const resultFile = join(dir, 'real-host.json');
      await writeFile(resultFile, JSON.stringify(run));
      const calibration = await calibrateHost(resultFile, join(dir, 'host'));
      expect(calibration.files.some((f) => f.endsWith('host-docker.yaml'))).toBe(true);
      const scenario = join(dir, 'uses-profiles.yaml');
      await writeFile(
        scenario,
        [
          'hardware: dev-laptop',
          'engines:',
          ...['native', 'namespaces', 'runc', 'docker', 'qemu-tcg'].map(
            (s) => `  - profile: host/profiles/host-${s}.yaml`,
          ),
        ].join('\n'),
      );
      const loaded = await loadScenario(scenario);
      expect(loaded.engines.map((e) => e.engine.id)).toEqual([
        'host-native',
        'host-namespaces',
        'host-runc',
        'host-docker',
        'host-qemu-tcg',
      ]);
    });
  });

  it('refuses a result without real-driver rows, saying how to get one', async () => {
    await withTempDir(async (dir) => {
      const resultFile = join(dir, 'model-only.json');
      await writeFile(resultFile, JSON.stringify({ ...run, rows: [] }));
      await expect(calibrateHost(resultFile, join(dir, 'host'))).rejects.toThrow(
        /run `virtbench run scenarios\/real-host.yaml` first/,
      );
    });
  });
});
