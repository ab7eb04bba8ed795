import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { packageRoot } from '../../engines/shared/environment.js';
import { InputError } from '../../engines/shared/errors.js';
import { PUBLISHED_VERIFICATIONS } from '../../engines/types.js';

/** One published measurement: one engine's value for one benchmark of one study (engines/data/README.md). */
const rowSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  study: z.string().min(1),
  host: z.string().min(1),
  benchmark: z.string().min(1),
  metric: z.string().min(1),
  unit: z.string().min(1),
  engine: z.string().min(1),
  kind: z.string().min(1),
  value: z.coerce.number().positive(),
  verified: z.enum(PUBLISHED_VERIFICATIONS),
  source: z.string().min(1),
  notes: z.string(),
});

export type PublishedRow = Readonly<z.infer<typeof rowSchema>>;

/** Only rows read or derived from a source may fail a calibration; recalled ones are shown as a guide. */
export function gates(row: PublishedRow): boolean {
  return row.verified === 'read' || row.verified === 'derived';
}

export const PUBLISHED_FILE = join('engines', 'data', 'published.csv');

/** Parses published.csv text; `file` names it in errors. Every row is checked, and ids must be unique. */
export function parsePublished(text: string, file: string): PublishedRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InputError({
      location: { file },
      path: '',
      message: `not valid CSV: ${message}`,
      expected: 'the columns engines/data/README.md describes',
    });
  }
  const rows: PublishedRow[] = [];
  const seen = new Set<string>();
  records.forEach((record, index) => {
    const line = index + 2; // the header is line 1
    const checked = rowSchema.safeParse(record);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new InputError({
        location: { file, line, column: 1 },
        path: issue.path.join('.'),
        message: issue.message,
        expected: 'the columns engines/data/README.md describes',
      });
    }
    if (seen.has(checked.data.id)) {
      throw new InputError({
        location: { file, line, column: 1 },
        path: 'id',
        message: `duplicate row id "${checked.data.id}"`,
        hint: 'row ids must be unique',
      });
    }
    seen.add(checked.data.id);
    rows.push(checked.data);
  });
  return rows;
}

/** The published measurements that ship with virtbench. */
export async function loadPublished(root: string = packageRoot()): Promise<PublishedRow[]> {
  const file = join(root, PUBLISHED_FILE);
  return parsePublished(await readFile(file, 'utf8'), file);
}
