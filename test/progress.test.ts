import { describe, expect, it } from 'vitest';
import type { CliContext } from '../bench/cli/context.js';
import { createProgress, progressAllowed } from '../bench/cli/progress.js';
import { Capture } from './helpers.js';

function context(tty: boolean, env: NodeJS.ProcessEnv = {}): CliContext & { stderr: Capture } {
  const stderr = Object.assign(new Capture(), { isTTY: tty, columns: 100 });
  return { stdout: new Capture(), stderr, env, cwd: process.cwd() };
}

/** Drives a progress bar through a run of `total` cells with a clock the test controls. */
function drive(ctx: CliContext & { stderr: Capture }, quiet: boolean, msPerCell: number, total = 20): string {
  let now = 0;
  const progress = createProgress(ctx, { quiet, now: () => now });
  for (let done = 1; done <= total; done++) {
    now += msPerCell;
    progress.update(done, total);
  }
  progress.stop();
  return ctx.stderr.text;
}

describe('progress bar', () => {
  it('draws a bar with an ETA on a terminal once a run takes longer than a second', () => {
    const text = drive(context(true), false, 200);
    expect(text).toContain('cells');
    expect(text).toContain('ETA');
    expect(text).toMatch(/\d+\/20 cells/);
  });

  it('stays silent for quick runs', () => {
    expect(drive(context(true), false, 10)).toBe('');
  });

  it('stays silent with --quiet, under CI, and when stderr is not a terminal', () => {
    expect(drive(context(true), true, 200)).toBe('');
    expect(drive(context(true, { CI: 'true' }), false, 200)).toBe('');
    expect(drive(context(false), false, 200)).toBe('');
    expect(progressAllowed(context(true, { CI: '1' }), false)).toBe(false);
    expect(progressAllowed(context(true, { CI: '' }), false)).toBe(true);
  });

  it('never writes to stdout', () => {
    const ctx = context(true);
    drive(ctx, false, 200);
    expect((ctx.stdout as Capture).text).toBe('');
  });
});
