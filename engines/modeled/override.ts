import type { Param } from '../types.js';

/** Whether a value is a model parameter: a number with its source and how it was verified. */
export function isParam(value: unknown): value is Param {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Param>;
  return (
    typeof candidate.value === 'number' &&
    typeof candidate.source === 'string' &&
    typeof candidate.verified === 'string'
  );
}

/**
 * A copy of an engine spec, OS image or any plain data holding parameters, with each parameter the
 * map names given its new value (same source, same provenance). A parameter shared between specs
 * (firecracker's compute costs are kvm's) is one key, so one override changes it everywhere it is
 * used. Objects holding no overridden parameter are shared with the original, which is returned
 * itself when nothing changes; engine files are never touched.
 */
export function overrideParams<T>(value: T, overrides: ReadonlyMap<Param, number>): T {
  if (overrides.size === 0 || typeof value !== 'object' || value === null) return value;
  if (isParam(value)) {
    const replacement = overrides.get(value);
    return (replacement === undefined ? value : { ...value, value: replacement }) as T;
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => overrideParams(item, overrides));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const replaced = overrideParams(item, overrides);
    if (replaced !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = replaced;
    }
  }
  return (copy ?? value) as T;
}

/** Every parameter in plain data, with its dotted path, in the order the data is written. */
export function paramsWithPaths(value: unknown, path: readonly string[] = []): { path: string; param: Param }[] {
  if (typeof value !== 'object' || value === null) return [];
  if (isParam(value)) return [{ path: path.join('.'), param: value }];
  return Object.entries(value).flatMap(([key, item]) => paramsWithPaths(item, [...path, key]));
}
