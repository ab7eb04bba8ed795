/**
 * A copy of `root` with the value at `path` (a list of property names) replaced. Every object on
 * the path is copied, so `root` and anything it shares with other holders stay as they were;
 * objects off the path are shared with the copy. Missing objects along the path are created.
 */
export function replaceAtPath<T>(root: T, path: readonly string[], value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = { ...(root as Record<string, unknown>) };
  copy[head] = replaceAtPath(copy[head], rest, value);
  return copy as T;
}
