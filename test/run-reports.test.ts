import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from './helpers.js';

describe('run writes HTML and Markdown when asked', () => {
  it('writes both beside the CSV and JSON, and says where', async () => {
    await withTempDir(async (dir) => {
      const html = join(dir, 'report.html');
      const markdown = join(dir, 'report.md');
      const run = await runCli(['run', '--out', dir, '-r', '3', '--quiet', '--html', html, '--markdown', markdown]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`wrote ${markdown}, ${html}`);
      expect(await readFile(html, 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*virtbench · seed-comparison/);
      expect(await readFile(markdown, 'utf8')).toMatch(/^## virtbench · seed-comparison/);
    });
  });
});
