import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { excerpt } from '../../engines/shared/errors.js';

export type PathSegment = string | number;

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Formats a field path the way a user writes it: engines[1].memoryMiB. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${excerpt(segment)}` : excerpt(segment);
  }
  return out;
}

/**
 * The source position of the value at `path`, or of its nearest ancestor that exists. With
 * `key`, the position of that key inside the map at `path`, for reporting unknown keys.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly PathSegment[],
  key?: string,
): Position | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNode(node) ? node : undefined;
  for (const segment of path) {
    const child = childOf(node, segment);
    if (child === undefined) break;
    node = child.value;
    best = child.keyNode ?? best;
    if (isNode(node)) best = node;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (pair && isNode(pair.key)) best = pair.key;
  }
  const offset = best?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

function childOf(node: unknown, segment: PathSegment): { value: unknown; keyNode?: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
    if (!pair) return undefined;
    return { value: pair.value ?? pair.key, keyNode: isNode(pair.key) ? pair.key : undefined };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}
