import cliProgress from 'cli-progress';
import type { CliContext } from './context.js';

/** Receives how many cells are done; a run reports through it whether or not a bar is shown. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly quiet?: boolean;
  /** The bar appears only once a run has taken this long, so quick runs print nothing extra. */
  readonly delayMs?: number;
  /** Clock in ms; tests pass their own. */
  readonly now?: () => number;
  /** What is counted, as the bar names it: cells by default, checks for a gate. */
  readonly unit?: string;
}

const SILENT: Progress = { update: () => {}, stop: () => {} };

/** Whether a progress bar may be drawn: on a terminal, not asked to be quiet, and not under CI. */
export function progressAllowed(context: CliContext, quiet: boolean | undefined): boolean {
  if (quiet) return false;
  if (context.env.CI !== undefined && context.env.CI !== '' && context.env.CI !== 'false') return false;
  return context.stderr.isTTY === true;
}

/**
 * A progress bar with an ETA on stderr for runs longer than about a second. Results go to stdout
 * and files, so the bar never mixes with them, and it is cleared when the run ends.
 */
export function createProgress(context: CliContext, options: ProgressOptions = {}): Progress {
  if (!progressAllowed(context, options.quiet)) return SILENT;
  const now = options.now ?? (() => performance.now());
  const delayMs = options.delayMs ?? 1000;
  const started = now();
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(done, total) {
      if (!bar) {
        if (done >= total || now() - started < delayMs) return;
        bar = new cliProgress.SingleBar(
          {
            stream: context.stderr,
            format: `virtbench {bar} {percentage}% | {value}/{total} ${options.unit ?? 'cells'} | ETA {eta_formatted}`,
            clearOnComplete: true,
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
        return;
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
