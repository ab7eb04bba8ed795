import type { EngineKind } from '../../engines/types.js';
import type { ResultRow } from '../report/metrics.js';
import type { ClaimResult, EngineSummary } from '../report/results.js';
import type { Scenario } from '../scenario/load.js';
import type { ClaimCheckSpec, ClaimSpec, StatName } from '../scenario/schema.js';
import { sweepPoints } from './plan.js';

type Selector = { engines?: readonly string[]; kinds?: readonly string[] };

function select(engines: readonly EngineSummary[], selector: Selector): EngineSummary[] {
  return engines.filter(
    (e) =>
      (!selector.engines || selector.engines.includes(e.id)) &&
      (!selector.kinds || selector.kinds.includes(e.kind as EngineKind)),
  );
}

function format(value: number): string {
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const compare: Record<Exclude<ClaimCheckSpec['op'], 'absent'>, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)),
};

interface CheckOutcome {
  holds: boolean | null;
  evidence: string[];
}

/**
 * Evaluates one claim against one sweep point's rows. Each check compares a statistic of the
 * selected engines with a constant, with the same engine's other metric, or with other engines.
 */
export function evaluateClaim(
  claim: ClaimSpec,
  rows: readonly ResultRow[],
  engines: readonly EngineSummary[],
): ClaimResult {
  const outcomes = claim.checks.map((check) => evaluateCheck(check, rows, engines));
  const applicable = outcomes.filter((o) => o.holds !== null);
  const holds = applicable.length === 0 ? null : applicable.every((o) => o.holds);
  return { id: claim.id, text: claim.text, holds, evidence: outcomes.flatMap((o) => o.evidence) };
}

function evaluateCheck(
  check: ClaimCheckSpec,
  rows: readonly ResultRow[],
  engines: readonly EngineSummary[],
): CheckOutcome {
  const lhs = select(engines, check);
  const stat = check.stat as StatName;
  const find = (engine: string, metric: string) => rows.find((r) => r.engine === engine && r.metric === metric);
  if (lhs.length === 0) return { holds: null, evidence: [`no engine in this run matches ${describeSelector(check)}`] };

  if (check.op === 'absent') {
    const present = lhs.filter((e) => find(e.id, check.metric));
    return {
      holds: present.length === 0,
      evidence: [
        present.length === 0
          ? `${lhs.map((e) => e.id).join(', ')}: no ${check.metric} phase`
          : `${present.map((e) => e.id).join(', ')} report ${check.metric}`,
      ],
    };
  }
  const op = compare[check.op];
  const values = lhs
    .map((e) => ({ engine: e, row: find(e.id, check.metric) }))
    .filter((v): v is { engine: EngineSummary; row: ResultRow } => v.row !== undefined);
  if (values.length === 0)
    return { holds: null, evidence: [`no ${check.metric} results for ${describeSelector(check)}`] };

  if (check.than === undefined) {
    const threshold = check.value!;
    const evidence = values.map(({ engine, row }) => {
      const v = row[stat];
      return `${op(v, threshold) ? '' : 'NOT '}${engine.id} ${check.metric} ${stat} = ${format(v)} ${row.unit} ${check.op} ${format(threshold)}`;
    });
    return { holds: values.every(({ row }) => op(row[stat], threshold)), evidence };
  }

  const than = check.than;
  const factor = than.factor ?? 1;
  const otherStat = (than.stat ?? stat) as StatName;
  if (than.engines === undefined && than.kinds === undefined) {
    // Same engine, another metric: for example a container's blast radius against its own density.
    const otherMetric = than.metric ?? check.metric;
    let holds = true;
    const evidence = values.map(({ engine, row }) => {
      const other = find(engine.id, otherMetric);
      if (!other) return `${engine.id}: no ${otherMetric} result`;
      const ok = op(row[stat], other[otherStat] * factor);
      holds &&= ok;
      return `${ok ? '' : 'NOT '}${engine.id} ${check.metric} ${format(row[stat])} ${check.op} ${factorText(factor)}${otherMetric} ${format(other[otherStat])}`;
    });
    return { holds, evidence };
  }

  const rhs = select(engines, than)
    .map((e) => ({ engine: e, row: find(e.id, than.metric ?? check.metric) }))
    .filter((v): v is { engine: EngineSummary; row: ResultRow } => v.row !== undefined);
  if (rhs.length === 0)
    return { holds: null, evidence: [`no ${than.metric ?? check.metric} results for ${describeSelector(than)}`] };
  const pairs = values.flatMap((a) => rhs.map((b) => ({ a, b, ok: op(a.row[stat], b.row[otherStat] * factor) })));
  const holds = pairs.every((p) => p.ok);
  // The tightest pair is the one that decides the claim, so it is the evidence.
  const decisive = pairs.find((p) => !p.ok) ?? tightest(pairs, stat, otherStat);
  const lhsList = values.map(({ engine, row }) => `${engine.id} ${format(row[stat])}`).join(', ');
  const rhsList = rhs.map(({ engine, row }) => `${engine.id} ${format(row[otherStat])}`).join(', ');
  return {
    holds,
    evidence: [
      `${check.metric} ${stat} [${row0unit(values)}]: ${lhsList} ${check.op} ${factorText(factor)}${rhsList}`,
      `${holds ? 'tightest' : 'failing'} pair: ${decisive.a.engine.id} ${format(decisive.a.row[stat])} vs ${decisive.b.engine.id} ${format(decisive.b.row[otherStat])}`,
    ],
  };
}

function row0unit(values: { row: ResultRow }[]): string {
  return values[0]!.row.unit;
}

function factorText(factor: number): string {
  return factor === 1 ? '' : `${factor} x `;
}

function tightest<T extends { a: { row: ResultRow }; b: { row: ResultRow } }>(
  pairs: T[],
  stat: StatName,
  otherStat: StatName,
): T {
  return pairs.reduce((best, p) =>
    Math.abs(p.a.row[stat] - p.b.row[otherStat]) < Math.abs(best.a.row[stat] - best.b.row[otherStat]) ? p : best,
  );
}

function describeSelector(selector: Selector): string {
  const parts: string[] = [];
  if (selector.engines) parts.push(`engines ${selector.engines.join(', ')}`);
  if (selector.kinds) parts.push(`kinds ${selector.kinds.join(', ')}`);
  return parts.length > 0 ? parts.join(' and ') : 'any engine';
}

/** A claim holds when it holds at every sweep point; the evidence names the point when there are several. */
export function evaluateClaims(
  scenario: Scenario,
  rows: readonly ResultRow[],
  engines: readonly EngineSummary[],
): ClaimResult[] {
  const points = sweepPoints(scenario.sweep);
  // Grouped once, so a claim over a large grid costs one pass over the rows, not one per point.
  const rowsByPoint = new Map<string, ResultRow[]>();
  for (const row of rows) {
    const key = JSON.stringify(row.params);
    const group = rowsByPoint.get(key);
    if (group) group.push(row);
    else rowsByPoint.set(key, [row]);
  }
  return scenario.claims.map((claim) => {
    const perPoint = points.map((point) => {
      const key = JSON.stringify(point);
      const pointRows = rowsByPoint.get(key) ?? [];
      return { point, result: evaluateClaim(claim, pointRows, engines) };
    });
    const applicable = perPoint.filter((p) => p.result.holds !== null);
    const holds = applicable.length === 0 ? null : applicable.every((p) => p.result.holds);
    const evidence = perPoint.flatMap(({ point, result }) => {
      const label =
        Object.keys(point).length > 0
          ? `[${Object.entries(point)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}] `
          : '';
      return result.evidence.map((line) => label + line);
    });
    return { id: claim.id, text: claim.text, holds, evidence };
  });
}
