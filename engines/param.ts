import type { Param, Verification } from './types.js';

/** A parameter read directly from a published source. */
export function read(value: number, source: string): Param {
  return param(value, 'read', source);
}

/** A parameter computed from published figures; the source says how. */
export function derived(value: number, source: string): Param {
  return param(value, 'derived', source);
}

/** A parameter nobody has measured for this model: the source gives the reasoning. */
export function assumed(value: number, source: string): Param {
  return param(value, 'assumed', source);
}

/** A parameter with the provenance named. */
export function param(value: number, verified: Verification, source: string): Param {
  return { value, source, verified };
}
