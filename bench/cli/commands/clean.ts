import type { Command } from 'commander';
import { sweepDeadRuns } from '../../../engines/real/host/leftovers.js';
import { type CliContext, write } from '../context.js';

/**
 * `virtbench clean`: removes what real runs that no longer live left on this host (after kill -9
 * or a crash): processes, containers, cgroups, nspawn and LXC state, network namespaces, images,
 * temporary directories. Only what carries a virtbench run label is touched, and never the
 * leftovers of a run whose virtbench process is still running.
 */
export function register(program: Command, context: CliContext): void {
  program
    .command('clean')
    .description("remove what killed real runs left on this host, found by their run labels only (never a live run's)")
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--json', 'print the outcome as JSON')
    .action((flags: { dryRun?: boolean; json?: boolean }) => {
      const outcome = sweepDeadRuns({ dryRun: flags.dryRun === true });
      if (flags.json) {
        write(context.stdout, JSON.stringify({ dryRun: flags.dryRun === true, ...outcome }, null, 2));
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
      const lines = outcome.removed.map((what) => `${verb} ${what}`);
      if (outcome.removed.length === 0) lines.push('nothing left by killed runs');
      if (outcome.liveRuns.length > 0)
        lines.push(`left alone: ${outcome.liveRuns.length} run(s) still running (${outcome.liveRuns.join(', ')})`);
      write(context.stdout, lines.join('\n'));
      // What could not be removed is a finding to act on, not a failed claim: the exit status stays 0.
      for (const failure of outcome.failed) write(context.stderr, `virtbench clean: could not remove ${failure}`);
    });
}
