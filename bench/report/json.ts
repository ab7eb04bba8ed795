import type { RunResult } from '../results.js';

/** The versioned JSON result: everything a later `gate`, `compare` or `merge` needs. */
export function renderJson(result: RunResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}
