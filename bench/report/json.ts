import type { ResultRow } from './metrics.js';
import type { RunResult } from './results.js';

const ROWS_PLACEHOLDER = '\n  "rows": []';

/**
 * The versioned JSON result: everything a later `gate`, `compare` or `merge` needs. It is
 * indented, except that each row is one line: a large sweep has hundreds of thousands of rows,
 * and one line each keeps the file a third smaller, quick to write and easy to grep and diff.
 */
export function renderJson(result: RunResult): string {
  const { head, tail } = jsonAroundRows(result);
  const rows = renderJsonRows(result.rows);
  return rows === '' ? `${head}${tail}\n` : `${head}\n${rows}\n  ${tail}\n`;
}

/** Rows as the elements of the result's `rows` array, one per line, joined with ",\n". */
export function renderJsonRows(rows: readonly ResultRow[]): string {
  let text = '';
  for (let i = 0; i < rows.length; i++) text += `${i === 0 ? '' : ',\n'}    ${JSON.stringify(rows[i])}`;
  return text;
}

/**
 * The JSON result around its rows, so that rows can be written between the two halves as cells
 * finish: `head` ends with the array's opening bracket and `tail` starts at its closing one.
 * Neither holds the newlines around the rows, nor the file's final newline.
 */
export function jsonAroundRows(result: RunResult): { head: string; tail: string } {
  const text = JSON.stringify({ ...result, rows: [] }, null, 2);
  const at = text.indexOf(ROWS_PLACEHOLDER);
  if (at < 0) throw new Error('the JSON result has no top-level rows array');
  return { head: `${text.slice(0, at)}\n  "rows": [`, tail: `]${text.slice(at + ROWS_PLACEHOLDER.length)}` };
}
