import { z } from 'zod';
import { InputError, readInputFile } from '../../engines/shared/errors.js';
import { problemsFromIssues } from '../scenario/issues.js';
import { MAX_NESTING, parseSourceFile } from '../scenario/source.js';
import { READABLE_SCHEMA_VERSIONS, RESULT_SCHEMA_VERSION, type RunResult } from './results.js';

/**
 * Reading JSON results back: a baseline, a run to gate, or a shard to merge. Results come from
 * other machines and older versions, so they are validated like scenario files, with the
 * problem's line and column.
 */

const paramValue = z.union([z.string(), z.number(), z.boolean()]);
const finite = z.number();

const rowSchema = z.looseObject({
  scenario: z.string(),
  engine: z.string().min(1),
  kind: z.string(),
  driver: z.enum(['model', 'real']),
  hardware: z.string(),
  metric: z.string().min(1),
  unit: z.string(),
  detail: z.string(),
  params: z.record(z.string(), paramValue),
  n: z.number().int().nonnegative(),
  mean: finite,
  p50: finite,
  p95: finite,
  p99: finite,
  min: finite,
  max: finite,
  stddev: finite,
  ci95Low: finite,
  ci95High: finite,
  samples: z.array(finite).min(1),
});

export const runResultSchema = z.looseObject({
  schemaVersion: z.union(READABLE_SCHEMA_VERSIONS.map((version) => z.literal(version))),
  scenario: z.looseObject({
    name: z.string().min(1),
    file: z.string(),
    description: z.string(),
    digest: z.string().optional(),
    resolved: z.record(z.string(), z.unknown()).optional(),
  }),
  seed: z.number(),
  repetitions: z.number().int().positive(),
  environment: z.looseObject({
    virtbench: z.string(),
    node: z.string(),
    os: z.string(),
    arch: z.string(),
    cpu: z.string(),
    cores: z.number(),
  }),
  hardware: z.looseObject({ id: z.string() }),
  sweepParameters: z.array(z.string()),
  engines: z.array(
    z.looseObject({ id: z.string(), title: z.string(), kind: z.string(), driver: z.enum(['model', 'real']) }),
  ),
  rows: z.array(rowSchema),
  skipped: z.array(z.unknown()),
  notes: z.array(z.string()),
  claims: z.array(z.unknown()),
});

/** A result as read from disk, with the file it came from for messages. */
export interface LoadedResult {
  readonly file: string;
  readonly result: RunResult;
  /** The parsed JSON, including fields a RunResult does not declare (a shard's plan). */
  readonly raw: Record<string, unknown>;
}

/** Line and column of a character offset, both 1-based. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Where a YAML parser (JSON is YAML) finds the syntax error, for JSON errors that name no position. */
async function yamlPosition(file: string): Promise<{ line?: number; column?: number }> {
  try {
    await parseSourceFile(file, 'result file', RESULT_HINT, MOST_RESULT_BYTES);
  } catch (error) {
    if (error instanceof InputError)
      return { line: error.problems[0]?.location.line, column: error.problems[0]?.location.column };
  }
  return {};
}

/** How deeply maps and lists nest in `data`, walked without recursion. */
function nestingDepth(data: unknown): number {
  let deepest = 0;
  const pending: { value: unknown; depth: number }[] = [{ value: data, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_NESTING) break;
    for (const child of Object.values(value)) pending.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

/** The largest result file read: a million-cell sweep's JSON, well below the longest string Node makes. */
const MOST_RESULT_BYTES = 256 * 1024 * 1024;

const RESULT_HINT = 'pass a .json file written by `virtbench run`, `virtbench merge` or `virtbench baseline update`';

/** Reads and validates a JSON result. Throws InputError (exit 2) for anything that is not one. */
export async function readResultFile(file: string): Promise<LoadedResult> {
  const text = await readInputFile(file, 'result file', RESULT_HINT, MOST_RESULT_BYTES);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = /position (\d+)/.exec(message)?.[1];
    const where = offset === undefined ? await yamlPosition(file) : lineColumn(text, Number(offset));
    throw new InputError({
      location: { file, ...where },
      path: '',
      message: `not valid JSON: ${message.split('\n')[0]!.replace(/, "[\s\S]*$/, '')}`,
      expected: 'a virtbench JSON result',
      hint: RESULT_HINT,
    });
  }
  // Deeper than any result nests, even in fields this version does not read: the position-keeping
  // parse locates it, where writing it back out again would run out of stack.
  if (nestingDepth(data) > MAX_NESTING) await parseSourceFile(file, 'result file', RESULT_HINT, MOST_RESULT_BYTES);
  if (
    typeof data === 'object' &&
    data !== null &&
    'schemaVersion' in data &&
    !READABLE_SCHEMA_VERSIONS.includes(data.schemaVersion as number)
  ) {
    throw new InputError({
      location: { file },
      path: 'schemaVersion',
      message: `result schema version ${String(data.schemaVersion)} is not one this virtbench reads`,
      expected: `schemaVersion ${READABLE_SCHEMA_VERSIONS.join(' or ')} (this virtbench writes ${RESULT_SCHEMA_VERSION})`,
      hint: 'produce both results with the same virtbench version, or update the baseline with `virtbench baseline update`',
    });
  }
  const parsed = runResultSchema.safeParse(data);
  if (!parsed.success) {
    // Only now pay for a position-keeping parse, to point at the offending field.
    const source = await parseSourceFile(file, 'result file', RESULT_HINT, MOST_RESULT_BYTES);
    const problems = problemsFromIssues(parsed.error.issues, {
      ...source,
      input: data,
      schema: runResultSchema as z.ZodType,
    }).map((problem) =>
      problem.path.endsWith('samples')
        ? { ...problem, hint: 'results written before raw samples were kept cannot be A/B tested: re-run the scenario' }
        : { ...problem, hint: RESULT_HINT },
    );
    throw new InputError(problems);
  }
  return { file, result: data as RunResult, raw: data as Record<string, unknown> };
}
