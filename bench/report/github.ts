import { formatDifferences } from '../gate/environment.js';
import type { GateReport } from '../gate/evaluate.js';
import { engineLabel, formatCheckValue, metricLabel } from '../gate/table.js';

/**
 * GitHub Actions workflow commands: an `::error` annotation per failing check, shown on the run
 * and, when the check was written in a scenario, on the line that wrote it.
 */

/** Escaping of a workflow command's message. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escaping of a workflow command's properties, which also split on ':' and ','. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(
  kind: 'error' | 'warning',
  properties: Record<string, string | number | undefined>,
  message: string,
): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${kind}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

export function githubAnnotations(report: GateReport): string {
  const lines: string[] = [];
  if (report.environment.blocking.length > 0) {
    lines.push(
      command(
        'warning',
        { title: 'virtbench gate: compared across environments' },
        formatDifferences(report.environment.blocking).join('\n'),
      ),
    );
  }
  for (const check of report.checks) {
    if (check.passed) continue;
    const origin = check.spec.origin;
    const inFile = origin.file !== 'command line' && origin.line !== undefined;
    lines.push(
      command(
        'error',
        {
          title: `virtbench gate: ${engineLabel(check)} ${check.metric}`,
          file: inFile ? origin.file : undefined,
          line: inFile ? origin.line : undefined,
          col: inFile ? origin.column : undefined,
        },
        `${engineLabel(check)} ${metricLabel(check)}: ${check.verdict} ` +
          `(baseline ${formatCheckValue(check, check.baseline)}, current ${formatCheckValue(check, check.current)}, threshold ${check.threshold})`,
      ),
    );
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Whether the process runs as a GitHub Actions step. */
export function inGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true';
}
