import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../bench/report/results.js';
import { firmwareProfile, makeBaseline, meanOf, replaceEngine, writeVariant } from './gate-helpers.js';
import { runCli } from './helpers.js';

/**
 * The HTML report opened in a real browser: Debian's Chromium, driven by playwright-core. The
 * charts must draw (non-empty SVG geometry that matches the data) with no network request at all.
 */

const CHROMIUM = '/usr/bin/chromium';
const unavailable = existsSync(CHROMIUM)
  ? undefined
  : `Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

if (unavailable) {
  it.skip(`HTML report in headless Chromium: skipped because ${unavailable}`, () => {});
}

describe.skipIf(unavailable !== undefined)('HTML report in headless Chromium', () => {
  let dir: string;
  let profileDir: string;
  let browser: BrowserContext;
  let baseline: RunResult;
  let current: RunResult;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtbench-html-'));
    // A fresh profile for every run: no extensions, history or cached state.
    profileDir = await mkdtemp(join(tmpdir(), 'virtbench-chromium-'));
    const made = await makeBaseline(dir);
    baseline = made.result;
    const profile = await firmwareProfile(dir, 'kvm', 0.2 * meanOf(baseline, 'kvm', 'boot_time'));
    const scenario = await writeVariant(dir, (doc) => replaceEngine(doc, 'kvm', profile), 'slow-kvm.yaml');
    const gate = await runCli(['gate', '--baseline', made.path, scenario, '--html', join(dir, 'gate.html')]);
    expect(gate.code).toBe(1);
    expect((await runCli(['run', scenario, '--out', join(dir, 'current'), '--quiet'])).code).toBe(0);
    current = JSON.parse(await readFile(join(dir, 'current', 'seed-comparison.json'), 'utf8')) as RunResult;
    for (const shard of ['1/2', '2/2']) {
      expect(
        (
          await runCli([
            'run',
            'test/fixtures/small-sweep.yaml',
            '--shard',
            shard,
            '--out',
            join(dir, 'shards'),
            '--quiet',
          ])
        ).code,
      ).toBe(0);
    }
    const merged = await runCli([
      'merge',
      join(dir, 'shards', 'small-sweep.shard-1-of-2.json'),
      join(dir, 'shards', 'small-sweep.shard-2-of-2.json'),
      '--out',
      join(dir, 'merged'),
      '--html',
      join(dir, 'sweep.html'),
      '--quiet',
    ]);
    expect(merged.code).toBe(0);
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  });

  /** Opens a report, recording every request and console error it causes. */
  async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  it('draws every chart of a gate report, with bars that match the data, and fetches nothing', async () => {
    const file = join(dir, 'gate.html');
    const { page, requests, errors } = await open(file);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(errors).toEqual([]);

    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return { id: svg.id, width: box.width, height: box.height, bars: svg.querySelectorAll('rect.bar').length };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual([
      'chart-boot',
      'chart-image',
      'chart-density',
      'chart-overhead-cpu',
      'chart-overhead-memory',
      'chart-overhead-disk',
      'chart-overhead-network',
      'chart-overhead-total',
    ]);
    for (const chart of charts) {
      expect(chart.width, chart.id).toBeGreaterThan(300);
      expect(chart.height, chart.id).toBeGreaterThan(100);
      expect(chart.bars, chart.id).toBe(10);
    }

    // Boot bars are stacked from phases; their lengths are proportional to the medians (linear scale).
    const boot = await page.$$eval('#chart-boot rect.bar', (rects) =>
      rects.map((r) => r.getBoundingClientRect().width),
    );
    const p50 = (engine: string) => current.rows.find((r) => r.engine === engine && r.metric === 'boot_time')!.p50;
    const engines = current.engines.map((e) => e.id);
    const kvm = engines.indexOf('kvm');
    const docker = engines.indexOf('docker');
    expect(boot[kvm]! / boot[docker]!).toBeCloseTo(p50('kvm') / p50('docker'), 1);
    expect(
      await page.$$eval(
        '#chart-boot rect.segment',
        (rects) => rects.filter((r) => r.getBoundingClientRect().width > 0).length,
      ),
    ).toBeGreaterThan(40);
    expect(await page.$$eval('#chart-density text.value', (texts) => texts.map((t) => t.textContent))).toContain(
      `${current.rows.find((r) => r.engine === 'kvm' && r.metric === 'density')!.p50} (binding: ${current.rows.find((r) => r.engine === 'kvm' && r.metric === 'density')!.detail.replace('binding: ', '')})`,
    );

    // The gate table and the claims.
    expect(await page.textContent('.verdict')).toMatch(/^Gate FAILED: 1 of \d+ checks failed/);
    expect(await page.$$eval('table.gate tr.fail td:nth-child(2)', (cells) => cells.map((c) => c.textContent))).toEqual(
      ['kvm'],
    );
    expect(await page.$$eval('li.claim', (items) => items.length)).toBe(current.claims.length);
    const shot = await page.locator('#boot').screenshot();
    expect(shot.length).toBeGreaterThan(5_000);
    await page.close();
  });

  it('draws sweeps as line charts, one line per engine', async () => {
    const file = join(dir, 'sweep.html');
    const { page, requests, errors } = await open(file);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(errors).toEqual([]);
    const lines = await page.$$eval('#sweeps svg.chart', (svgs) =>
      svgs.map((svg) => ({
        id: svg.id,
        series: [...svg.querySelectorAll('polyline.series')].map((line) => ({
          points: (line as SVGPolylineElement).points.numberOfItems,
          length: (line as SVGPolylineElement).getTotalLength(),
        })),
      })),
    );
    // Two numeric sweep parameters x two swept metrics (boot time, density) of small-sweep.yaml.
    expect(lines).toHaveLength(4);
    for (const chart of lines) {
      expect(chart.series, chart.id).toHaveLength(2);
      for (const series of chart.series) {
        expect(series.points).toBe(2);
        expect(series.length).toBeGreaterThan(100);
      }
    }
    expect(await page.$$eval('#sweeps h3', (h) => h.map((x) => x.textContent))).toContain(
      'boot_time (ms, p50) vs hardware.memory.gib (options.vcpus=1)',
    );
    await page.close();
  });

  it('writes JUnit XML that a browser parses as well-formed XML', async () => {
    const junit = join(dir, 'junit.xml');
    const made = join(dir, 'baselines', 'seed-comparison.json');
    expect(
      (
        await runCli([
          'gate',
          '--baseline',
          made,
          '--current',
          join(dir, 'current', 'seed-comparison.json'),
          '--junit',
          junit,
        ])
      ).code,
    ).toBe(1);
    const page = await browser.newPage();
    const parsed = await page.evaluate(
      (xml) => {
        const doc = new DOMParser().parseFromString(xml, 'application/xml');
        return {
          errors: doc.getElementsByTagName('parsererror').length,
          cases: doc.getElementsByTagName('testcase').length,
          failures: [...doc.getElementsByTagName('failure')].map((f) => f.parentElement!.getAttribute('classname')),
        };
      },
      await readFile(junit, 'utf8'),
    );
    expect(parsed.errors).toBe(0);
    expect(parsed.cases).toBeGreaterThan(40);
    expect(parsed.failures).toEqual(['seed-comparison.kvm']);
    await page.close();
  });
});
