import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  baselineOf,
  CALIBRATION_DIR,
  type CalibrationRow,
  calibrate,
  modelCitations,
  summarize,
} from '../bench/calibrate/calibrate.js';
import { gates, loadPublished, type PublishedRow, parsePublished } from '../bench/calibrate/published.js';
import { renderCalibration, renderCalibrationCsv } from '../bench/calibrate/report.js';
import { BUILTIN_HARDWARE } from '../engines/hardware/index.js';
import { BUILTIN_IMAGES } from '../engines/images.js';
import { InputError } from '../engines/shared/errors.js';
import { runCli, withTempDir } from './helpers.js';

let published: PublishedRow[];
let rows: readonly CalibrationRow[];

beforeAll(async () => {
  published = await loadPublished();
  rows = (await calibrate(CALIBRATION_DIR, published)).rows;
});

const byId = (id: string): CalibrationRow => {
  const row = rows.find((r) => r.id === id);
  if (!row) throw new Error(`no calibration row ${id}`);
  return row;
};

describe('published data', () => {
  it('ships all 125 published rows with unique ids, each study with its scenario', async () => {
    expect(published).toHaveLength(125);
    expect(new Set(published.map((r) => r.id)).size).toBe(125);
    expect(new Set(rows.map((r) => r.study))).toEqual(new Set(published.map((r) => r.study)));
    expect(rows.map((r) => r.id).sort()).toEqual(published.map((r) => r.id).sort());
  });

  it('keeps a copy identical to what the README describes: the columns and their sources', async () => {
    const text = await readFile(join('engines', 'data', 'published.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe('id,study,host,benchmark,metric,unit,engine,kind,value,verified,source,notes');
    const readme = await readFile(join('engines', 'data', 'README.md'), 'utf8');
    for (const column of text.split('\n')[0]!.split(',')) expect(readme).toContain(`\`${column}\``);
  });

  it('rejects a malformed row with its line and field', () => {
    const text =
      'id,study,host,benchmark,metric,unit,engine,kind,value,verified,source,notes\nx-1,s,h,b,m,u,native,native,12,guessed,src,\n';
    try {
      parsePublished(text, 'bad.csv');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).problems[0]).toMatchObject({
        location: { file: 'bad.csv', line: 2 },
        path: 'verified',
      });
    }
  });

  it('every row or host id a parameter cites exists, so each figure traces back to its source', async () => {
    const ids = new Set([
      ...published.map((r) => r.id),
      ...BUILTIN_HARDWARE.map((h) => h.id),
      ...BUILTIN_IMAGES.map((i) => i.id),
    ]);
    const citations = await modelCitations();
    const idLike = /(?<![\w-])(?:felter|fc|gvisor|img|runc|crun|nsdi20|uk-eurosys21)-[a-z0-9-]*[a-z0-9]/g;
    for (const c of citations) {
      for (const cited of c.source.match(idLike) ?? []) expect(ids, `${c.label} cites ${cited}`).toContain(cited);
    }
  });
});

describe('calibration table', () => {
  /**
   * Rows of NSDI'20's parallel boots that the boot-storm model's contention mechanism misses by
   * more than 10%: listed so that a change that fixes one, or breaks another, is seen here.
   */
  const KNOWN_STORM_MISSES = [
    'nsdi20-boot-par10-chv-p99',
    'nsdi20-boot-par50-fc-api-p50',
    'nsdi20-boot-par50-chv-p50',
    'nsdi20-boot-par50-fc-instancestart-p99',
    'nsdi20-boot-par100-fc-api-p99',
    'nsdi20-boot-par100-chv-p50',
    'nsdi20-boot-par100-qemu-qboot-p50',
    'nsdi20-boot-par100-fc-instancestart-p99',
    'nsdi20-boot-serial-net-fc-api-p99',
  ];

  it('meets the calibration target but for nine NSDI boot-storm rows, each within 20%; median |error| at most 5%', () => {
    const summary = summarize(rows, 10);
    expect(summary.failing.map((r) => r.id).sort()).toEqual([...KNOWN_STORM_MISSES].sort());
    for (const row of summary.failing) expect(Math.abs(row.errorPct!), row.id).toBeLessThanOrEqual(20);
    expect(summary.medianAbsErrorPct).toBeLessThanOrEqual(5);
  });

  it('compares a row with a baseline as a ratio, and states the model value in the row unit', () => {
    const untuned = byId('felter-linpack-kvm-untuned');
    expect(untuned.baseline).toBe('felter-linpack-native');
    expect(untuned.publishedRatio).toBeCloseTo(130.3 / 290.8, 6);
    expect(untuned.model).toBeCloseTo(290.8 * untuned.modelRatio!, 6);
    expect(untuned.errorPct).toBeCloseTo((untuned.modelRatio! / untuned.publishedRatio! - 1) * 100, 6);
    // Where a study has no native row, runc is the baseline.
    expect(byId('crun-true-netns').baseline).toBe('runc-true-netns');
    expect(byId('gvisor-syscall-runsc-ptrace').baseline).toBe('gvisor-syscall-runc');
  });

  it('compares baselines and rows without one as absolute values', () => {
    for (const id of ['felter-linpack-native', 'runc-true-nonetns', 'fc-boot', 'img-alpine-disk']) {
      const row = byId(id);
      expect(row.baseline).toBeUndefined();
      expect(row.errorPct).toBeCloseTo((row.model! / row.published - 1) * 100, 6);
    }
    const study = published.filter((r) => r.study === 'images');
    expect(study.every((r) => baselineOf(r, study) === undefined)).toBe(true);
  });

  it('rows that are recalled or unverified are shown but never gate', () => {
    const qcow = byId('img-ubuntu-cloud-qcow2');
    expect(qcow.gated).toBe(false);
    expect(Math.abs(qcow.errorPct!)).toBeGreaterThan(10);
    expect(summarize(rows, 10).failing).not.toContainEqual(qcow);
    for (const row of published) expect(gates(row)).toBe(row.verified === 'read' || row.verified === 'derived');
  });

  it('predicts rows no parameter comes from: STREAM copy, mixed random I/O, crun with a network namespace', () => {
    for (const id of [
      'felter-stream-copy-native',
      'felter-stream-copy-kvm',
      'felter-fio-randmixed-kvm',
      'felter-fio-seqwrite-kvm',
      'crun-true-netns',
    ]) {
      const row = byId(id);
      expect(row.setsParameters, id).toEqual([]);
      expect(Math.abs(row.errorPct!), id).toBeLessThan(5);
    }
  });

  it('says which parameters each row sets', () => {
    expect(byId('felter-fio-randread-kvm').setsParameters).toContainEqual(
      expect.stringMatching(/^kvm(\/[\w-]+)* costs\.diskIoPathUs$/),
    );
    expect(byId('felter-fio-randwrite-kvm').setsParameters).toContainEqual(
      expect.stringMatching(/^kvm(\/[\w-]+)* costs\.diskWritePathUs$/),
    );
    expect(
      byId('gvisor-mem-node-runsc').setsParameters.some((p) => p.endsWith('memory.workingSetOverheadFraction')),
    ).toBe(true);
    expect(byId('fc-boot').setsParameters).toContain('image firecracker-minimal kernelInitMcycles');
  });

  it('renders a table, a chart and a CSV with the required columns', () => {
    const summary = summarize(rows, 10);
    const text = renderCalibration(rows, summary, { color: false, tolerancePct: 10, medianTolerancePct: 5 });
    expect(text).toContain('felter-linpack-kvm-untuned');
    expect(text).toContain('model vs published');
    expect(text).toMatch(/median \|error\|/);
    const records = parse(renderCalibrationCsv(rows), { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(125);
    for (const column of ['id', 'unit', 'published', 'model', 'error_pct', 'gated'])
      expect(Object.keys(records[0]!)).toContain(column);
    expect(records.find((r) => r.id === 'img-ubuntu-cloud-qcow2')!.gated).toBe('no');
  });
});

describe('virtbench calibrate', () => {
  it('exits 0 within tolerance and writes calibration.csv atomically', async () => {
    await withTempDir(async (dir) => {
      const run = await runCli(['calibrate', '--out', dir, '--tolerance', '20']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('every gated row within 20%');
      const csv = await readFile(join(dir, 'calibration.csv'), 'utf8');
      expect(csv.split('\n')[0]).toMatch(/^id,.*unit.*published,model.*error_pct/);
    });
  });

  it('exits 1 when a row misses the tolerance, and 2 for a bad tolerance', async () => {
    await withTempDir(async (dir) => {
      const strict = await runCli(['calibrate', '--out', dir, '--tolerance', '0.5', '--quiet']);
      expect(strict.code).toBe(1);
      expect(strict.stdout).toMatch(/gated row\(s\) beyond 0.5%/);
      const bad = await runCli(['calibrate', '--out', dir, '--tolerance', 'ten']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--tolerance must be a percentage');
    });
  });
});
