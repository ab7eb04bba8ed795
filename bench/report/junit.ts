import { formatChange } from '../gate/change.js';
import type { GateReport } from '../gate/evaluate.js';
import { engineLabel, formatCheckValue, formatPValue, metricLabel } from '../gate/table.js';

/**
 * JUnit XML, the format most CI systems (GitLab, Jenkins, Buildkite, Azure) display: one test
 * case per check, failing checks with their reason. No timestamps, so the file is reproducible.
 */

export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // Characters XML 1.0 cannot carry at all.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being removed
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

export function renderJunit(report: GateReport): string {
  const scenario = report.current.scenario.name;
  const failures = report.checks.filter((c) => !c.passed).length;
  const attr = (name: string, value: string | number): string => `${name}="${escapeXml(String(value))}"`;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites ${attr('name', 'virtbench gate')} ${attr('tests', report.checks.length)} ${attr('failures', failures)} ${attr('errors', 0)}>`,
  );
  out.push(
    `  <testsuite ${attr('name', `virtbench gate: ${scenario}`)} ${attr('tests', report.checks.length)} ${attr('failures', failures)} ${attr('errors', 0)} ${attr('skipped', 0)}>`,
  );
  out.push('    <properties>');
  const properties: [string, string | number][] = [
    ['baseline', report.baselineLabel],
    ['current', report.currentLabel],
    ['checks', report.source],
    ['correction', report.correction],
    ['resamples', report.resamples],
    ['seed', report.seed],
  ];
  for (const [name, value] of properties) out.push(`      <property ${attr('name', name)} ${attr('value', value)}/>`);
  out.push('    </properties>');
  for (const check of report.checks) {
    const name = `${metricLabel(check)} ${check.type === 'band' ? 'band' : 'A/B'} ${check.threshold}`;
    const summary =
      `baseline ${formatCheckValue(check, check.baseline)}, current ${formatCheckValue(check, check.current)}, ` +
      `change ${formatChange(check.changePercent)}, p-value ${formatPValue(check)}, threshold ${check.threshold}: ${check.verdict}`;
    const open = `    <testcase ${attr('classname', `${scenario}.${engineLabel(check)}`)} ${attr('name', name)} ${attr('time', 0)}`;
    if (check.passed) {
      out.push(`${open}>`, `      <system-out>${escapeXml(summary)}</system-out>`, '    </testcase>');
    } else {
      out.push(
        `${open}>`,
        `      <failure ${attr('message', check.verdict)} ${attr('type', check.type === 'band' ? 'band' : 'regression')}>${escapeXml(summary)}</failure>`,
        '    </testcase>',
      );
    }
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
