import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';
import { excerpt, type InputProblem } from '../../engines/shared/errors.js';
import { formatPath, locate, type PathSegment } from './locate.js';
import { didYouMean } from './suggest.js';

const FORMAT_HINT = 'run `virtbench schema` for the scenario format, or see docs/scenarios.md';

type Issue = z.core.$ZodIssue;

export interface SourceContext {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  /** The parsed input, for describing what was found where something else was expected. */
  readonly input: unknown;
  /** The schema, for listing the keys allowed where an unknown one was found. */
  readonly schema: z.ZodType;
}

/** Turns schema-validation issues into located, actionable problems. */
export function problemsFromIssues(issues: readonly Issue[], context: SourceContext): InputProblem[] {
  return issues.flatMap((issue) => problemsFromIssue(issue, [], context));
}

function problemsFromIssue(issue: Issue, prefix: readonly PathSegment[], context: SourceContext): InputProblem[] {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  const at = (key?: string) => {
    const position = locate(context.doc, context.lines, path, key);
    return { file: context.file, line: position?.line, column: position?.column };
  };
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(context.schema, path);
      return issue.keys.map((key) => ({
        location: at(key),
        path: formatPath([...path, key]),
        message: `unknown key "${excerpt(key)}"`,
        expected: known.length > 0 ? `one of ${known.join(', ')}` : undefined,
        hint: didYouMean(key, known) ?? 'remove the key, or check its indentation',
      }));
    }
    case 'invalid_union': {
      const branch = mostRelevantBranch(issue.errors);
      if (branch) return branch.flatMap((inner) => problemsFromIssue(inner, path, context));
      const expected = issue.errors
        .map((branchIssues) => branchIssues.find((i) => i.code === 'invalid_type'))
        .map((i) => (i && i.code === 'invalid_type' ? article(i.expected) : undefined))
        .filter((text): text is string => text !== undefined);
      return [
        {
          location: at(),
          path: formatPath(path),
          message: `found ${describe(valueAt(context.input, path))}`,
          expected: expected.length > 0 ? expected.join(' or ') : undefined,
          hint: FORMAT_HINT,
        },
      ];
    }
    case 'invalid_type': {
      const found = valueAt(context.input, path);
      const missing = found === undefined;
      return [
        {
          location: at(),
          path: formatPath(path),
          message: missing ? 'required field is missing' : `found ${describe(found)}`,
          expected: article(issue.expected),
          hint: missing ? `add "${String(path[path.length - 1])}:" here` : FORMAT_HINT,
        },
      ];
    }
    case 'invalid_value': {
      const found = valueAt(context.input, path);
      const values = issue.values.map((v) => String(v));
      return [
        {
          location: at(),
          path: formatPath(path),
          message: `found ${describe(found)}`,
          expected: `one of ${values.join(', ')}`,
          hint: (typeof found === 'string' ? didYouMean(found, values) : undefined) ?? FORMAT_HINT,
        },
      ];
    }
    case 'too_small':
    case 'too_big': {
      const found = valueAt(context.input, path);
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const relation =
        issue.code === 'too_small' ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
      const what = issue.origin === 'array' ? 'entries' : issue.origin === 'string' ? 'characters' : '';
      return [
        {
          location: at(),
          path: formatPath(path),
          message: `found ${describe(found)}`,
          expected: `${relation} ${String(bound)}${what ? ` ${what}` : ''}`,
          hint: FORMAT_HINT,
        },
      ];
    }
    default:
      return [
        {
          location: at(),
          path: formatPath(path),
          message: issue.message,
          hint: FORMAT_HINT,
        },
      ];
  }
}

/**
 * In a union such as "an engine id or an engine object", the branch whose type matches the input
 * explains the real mistake; the others only say "wrong type".
 */
function mostRelevantBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  return branches.find((issues) => !issues.every((i) => i.code === 'invalid_type' && i.path.length === 0));
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let node = input;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length} ${value.length === 1 ? 'entry' : 'entries'}`;
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the string "${excerpt(value)}"`;
  return `${typeof value} ${String(value)}`;
}

function article(type: string): string {
  if (type === 'object') return 'a map of keys';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string } };
}

/** Keys the schema allows for the object at `path`, for did-you-mean on unknown keys. */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let candidates: ZodInternals[] = [schema as unknown as ZodInternals];
  for (const segment of [...path, undefined]) {
    const next: ZodInternals[] = [];
    for (const candidate of candidates.flatMap(unwrap)) {
      const def = candidate._zod.def;
      if (segment === undefined) {
        if (def.type === 'object') next.push(candidate);
        continue;
      }
      if (def.type === 'object') {
        const child = (def.shape as Record<string, ZodInternals>)[String(segment)];
        if (child) next.push(child);
      } else if (def.type === 'array' && typeof segment === 'number') {
        next.push(def.element as ZodInternals);
      } else if (def.type === 'record') {
        next.push(def.valueType as ZodInternals);
      }
    }
    candidates = next;
  }
  const keys = new Set<string>();
  for (const candidate of candidates) {
    for (const key of Object.keys(candidate._zod.def.shape as object)) keys.add(key);
  }
  return [...keys];
}

function unwrap(schema: ZodInternals): ZodInternals[] {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
    case 'nonoptional':
      return unwrap(def.innerType as ZodInternals);
    case 'pipe':
      return unwrap(def.in as ZodInternals);
    case 'union':
      return (def.options as ZodInternals[]).flatMap(unwrap);
    default:
      return [schema];
  }
}
