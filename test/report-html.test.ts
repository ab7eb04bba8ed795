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
    for (const [scenario, html] of [
      ['scenarios/seed-comparison.yaml', 'run.html'],
      ['test/fixtures/skip-first-point.yaml', 'skip.html'],
    ] as const) {
      const run = await runCli([
        'run',
        scenario,
        '-r',
        '5',
        '--out',
        join(dir, 'runs'),
        '--quiet',
        '--html',
        join(dir, html),
      ]);
      expect(run.code).toBe(0);
    }
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
      'Boot time (ms, p50) vs hardware.memory.gib (options.vcpus=1)',
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

  /** Every chart's and table's geometry that could overflow or lack a label, read in the page. */
  async function layout(page: Page) {
    return page.evaluate(() => {
      const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
        const view = (svg as SVGSVGElement).viewBox.baseVal;
        const outside = [...svg.querySelectorAll('text')]
          .filter((t) => (t.textContent ?? '').trim() !== '' && !t.closest('[transform]'))
          .map((t) => ({ text: t.textContent, box: (t as SVGTextElement).getBBox() }))
          .filter(
            ({ box }) =>
              box.x < -0.5 ||
              box.y < -0.5 ||
              box.x + box.width > view.width + 0.5 ||
              box.y + box.height > view.height + 0.5,
          )
          .map(({ text }) => text);
        return {
          id: svg.id,
          outside,
          axes: svg.querySelectorAll('line.axis').length,
          ticks: [...svg.querySelectorAll('text.tick')].map((t) => t.textContent),
          axisTitles: [...svg.querySelectorAll('text.axis-title')].map((t) => t.textContent),
        };
      });
      const root = document.documentElement;
      const tables = [...document.querySelectorAll('table')].map((table) => ({
        width: table.getBoundingClientRect().right,
        page: document.body.getBoundingClientRect().right,
        hidden: table.parentElement!.scrollWidth - table.parentElement!.clientWidth,
      }));
      return { charts, tables, overflow: root.scrollWidth - root.clientWidth };
    });
  }

  it('labels every chart, gives it an axis with units, and lets nothing overflow', async () => {
    for (const width of [1100, 800]) {
      const page = await browser.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(pathToFileURL(join(dir, 'run.html')).href, { waitUntil: 'load' });
      const { charts, tables, overflow } = await layout(page);
      expect(overflow, `page at ${width}px`).toBeLessThanOrEqual(0);
      for (const table of tables) {
        expect(table.width, `table at ${width}px`).toBeLessThanOrEqual(table.page + 0.5);
        expect(table.hidden, `table scrolled at ${width}px`).toBeLessThanOrEqual(0);
      }
      expect(charts.length).toBeGreaterThan(5);
      for (const chart of charts) {
        expect(chart.outside, `${chart.id}: text outside the chart`).toEqual([]);
        expect(chart.axes, chart.id).toBeGreaterThan(0);
        expect(chart.ticks.length, chart.id).toBeGreaterThan(1);
        expect(chart.axisTitles.join(' '), chart.id).toMatch(/ms|MiB|instances|percent/);
      }
      await page.close();
    }
  });

  it('gives every boot phase its own colour, a legend entry and a label on its segment', async () => {
    const { page } = await open(join(dir, 'run.html'));
    const boot = await page.evaluate(() => {
      const legend = [...document.querySelectorAll('#chart-boot text.legend-label')].map((t) => t.textContent!);
      const colors = [...document.querySelectorAll('#chart-boot rect.legend')].map((r) => r.getAttribute('fill'));
      const segments = [...document.querySelectorAll('#chart-boot rect.segment')].map((r) => ({
        width: r.getBoundingClientRect().width,
        phase: r.getAttribute('data-phase'),
      }));
      const labels = [...document.querySelectorAll('#chart-boot text.segment-label')].map((t) => t.textContent!);
      return { legend, colors, segments, labels };
    });
    const phases = new Set(current.rows.filter((r) => r.metric.startsWith('boot_time.')).map((r) => r.metric));
    expect(boot.legend).toHaveLength(phases.size);
    expect(phases.size).toBeGreaterThan(12);
    expect(new Set(boot.colors).size).toBe(phases.size);
    // Every segment wide enough to read carries its phase name or its number in the legend.
    const wide = boot.segments.filter((s) => s.width >= 20).length;
    expect(boot.labels.length).toBeGreaterThanOrEqual(wide);
    for (const label of boot.labels)
      expect(boot.legend.some((l) => l === label || l.endsWith(` ${label}`) || l.startsWith(`${label} `))).toBe(true);
    await page.close();
  });

  it('names metrics rather than printing their ids, and prints noise around zero as ≈0 with no bar', async () => {
    const { page } = await open(join(dir, 'run.html'));
    const heads = await page.$$eval('table.comparison th:first-child', (cells) =>
      cells.map((c) => c.textContent ?? ''),
    );
    expect(heads).toContain('Memory per instance');
    for (const head of heads) expect(head).not.toMatch(/^[a-z0-9_.]+$/);
    const native = await page.$$eval(
      '#chart-overhead-memory rect.bar',
      (rects) => rects[0]!.getBoundingClientRect().width,
    );
    expect(await page.$$eval('#chart-overhead-memory text.value', (t) => t[0]!.textContent)).toBe('≈0%');
    expect(native).toBeLessThan(1);
    await page.close();
  });

  it('draws an engine skipped at the first sweep point, marking the point and its reason', async () => {
    const { page } = await open(join(dir, 'skip.html'));
    expect(await page.$$eval('#chart-density text.label', (t) => t.map((x) => x.textContent))).toEqual([
      'docker',
      'kvm',
    ]);
    expect(await page.textContent('#chart-density text.skipped')).toContain('skipped at this point');
    expect(await page.textContent('#density')).toContain('kvm skipped at this point: guest memory 256 MiB is below');
    const sweep = await page.$$eval('#sweeps svg.chart', (svgs) =>
      svgs.map((svg) => ({
        series: [...svg.querySelectorAll('polyline.series')].map((l) => l.textContent),
        skipped: [...svg.querySelectorAll('text.skipped-point title')].map((t) => t.textContent),
      })),
    );
    expect(sweep.length).toBeGreaterThan(0);
    for (const chart of sweep) {
      expect(chart.series).toEqual(['docker', 'kvm']);
      expect(chart.skipped).toEqual([expect.stringContaining('kvm skipped at options.memoryMiB=256')]);
    }
    expect(await page.textContent('table.comparison')).toContain('skipped');
    await page.close();
  });
});
