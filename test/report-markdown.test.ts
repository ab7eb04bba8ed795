import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeCell, mermaidChart, renderMarkdown } from '../bench/report/markdown.js';
import type { RunResult } from '../bench/report/results.js';
import { runScenario } from '../bench/run/run.js';
import { loadScenario } from '../bench/scenario/load.js';
import { firmwareProfile, makeBaseline, meanOf, replaceEngine, writeVariant } from './gate-helpers.js';
import { runCli } from './helpers.js';

let dir: string;
let baseline: { path: string; result: RunResult };
let slowScenario: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'virtbench-md-'));
  baseline = await makeBaseline(dir);
  const profile = await firmwareProfile(dir, 'kvm', 0.2 * meanOf(baseline.result, 'kvm', 'boot_time'));
  slowScenario = await writeVariant(dir, (doc) => replaceEngine(doc, 'kvm', profile), 'slow-kvm.yaml');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Markdown report', () => {
  it('holds the verdict, the gate table, the comparison table and Mermaid charts, and goes to the job summary', async () => {
    const file = join(dir, 'gate.md');
    const summary = join(dir, 'summary.md');
    await writeFile(summary, '# earlier step\n');
    const run = await runCli(['gate', '--baseline', baseline.path, slowScenario, '--markdown', file], {
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(run.code).toBe(1);
    const md = await readFile(file, 'utf8');

    expect(md).toMatch(/^## virtbench gate · seed-comparison ❌ failed$/m);
    expect(md).toMatch(/^\*\*Gate FAILED\.\*\* 1 of \d+ checks failed/m);
    expect(md).toMatch(/^- \*\*kvm\*\* boot\\_time \(mean\): \+\d+\.\d% beyond 5% and significant/m);
    expect(md).toContain('| P/F | engine | metric | baseline | current | change | p-value | threshold |');
    expect(md).toMatch(
      /^\| ❌ F \| kvm \| boot\\_time \(mean\) \| \S+ s \| \S+ s \| \+\d+\.\d% \| 0\.00\d \| α 0\.01, \+5% \|$/m,
    );
    expect(md.match(/^\| ✅ P \|/gm)!.length).toBeGreaterThan(40);

    // The comparison table: engines as columns, the change against the baseline beside kvm's boot.
    expect(md).toMatch(/^\| {2}\| native \| docker \| gvisor \| firecracker \| kvm \|/m);
    expect(md).toMatch(/^\| Boot time \(p50\) \|.*\| \S+ s \(\+\d+\.\d%\) \|/m);

    const blocks = md.match(/```mermaid\nxychart-beta\n[\s\S]*?```/g)!;
    expect(blocks).toHaveLength(4);
    for (const block of blocks) {
      const [, axis] = /x-axis \[(.*)\]/.exec(block)!;
      expect(axis!.split(', ')).toHaveLength(10);
      const bars = /bar \[(.*)\]/.exec(block)![1]!.split(', ').map(Number);
      const line = /line \[(.*)\]/.exec(block)![1]!.split(', ').map(Number);
      expect(bars).toHaveLength(10);
      expect(line).toHaveLength(10);
      expect(bars.every(Number.isFinite) && line.every(Number.isFinite)).toBe(true);
      const [, low, high] = /y-axis "[^"]*" (\S+) --> (\S+)/.exec(block)!;
      expect(Math.max(...bars, ...line)).toBeLessThanOrEqual(Number(high));
      expect(Math.min(...bars, ...line)).toBeGreaterThanOrEqual(Number(low));
    }
    expect(md).toContain('### Claims');

    expect(await readFile(summary, 'utf8')).toBe(`# earlier step\n${md}\n`);
  });

  it('shows compare with its interval column and no verdict of its own', async () => {
    const out = join(dir, 'slow');
    expect((await runCli(['run', slowScenario, '--out', out, '--quiet'])).code).toBe(0);
    const file = join(dir, 'compare.md');
    const run = await runCli(['compare', baseline.path, join(out, 'seed-comparison.json'), '--markdown', file]);
    expect(run.code).toBe(0);
    const md = await readFile(file, 'utf8');
    expect(md).toMatch(/^## virtbench compare · seed-comparison$/m);
    expect(md).toContain('| P/F | engine | metric | baseline | current | change | 95% CI | p-value | threshold |');
    expect(md).toMatch(
      /^\| ❌ F \| kvm \| boot\\_time \(mean\) \|[^|]+\|[^|]+\| \+\d+\.\d% \| \+\d+\.\d% … \+\d+\.\d% \|/m,
    );
    expect(md).toContain('What a gate would decide: 1 of');
  });

  it('escapes what would break a table and leaves charts without a baseline as bars only', () => {
    expect(escapeCell('a|b_c*d\ne')).toBe('a\\|b\\_c\\*d e');
    const chart = mermaidChart(baseline.result, 'density')!;
    expect(chart).toContain('bar [');
    expect(chart).not.toContain('line [');
    expect(chart).toContain('title "density p50 (instances)"');
  });
});

describe('an engine skipped at the first sweep point, in Markdown', () => {
  it('keeps its column, marked skipped, and gives the point and the reason', async () => {
    const result = (await runScenario(await loadScenario('test/fixtures/skip-first-point.yaml'))).result;
    const markdown = renderMarkdown({ result, mode: 'result' });
    expect(markdown).toMatch(/\| +\| docker \| kvm \|/);
    expect(markdown).toMatch(/\| Boot time \(p50\) \| \d+ ms \| skipped \|/);
    expect(markdown).toContain('- kvm: \\[options.memoryMiB=256\\] guest memory 256 MiB is below');
  });
});
