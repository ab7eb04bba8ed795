import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import digests from './golden/digests.json' with { type: 'json' };
import { runCli, withTempDir } from './helpers.js';

/**
 * Every bundled model scenario must write the same CSV and JSON, byte for byte, whatever the code
 * that runs it looks like inside. Only the `environment` block (the host) and the provenance's
 * commit and start time differ from host to host and run to run, so they are blanked before
 * hashing; the resolved scenario and its digest are hashed like every other field. A change that is meant to move a figure updates test/golden/digests.json
 * with `UPDATE_GOLDEN=1 npx vitest run test/golden-output.test.ts` and says why in its commit.
 */
const SCENARIOS = Object.keys(digests) as (keyof typeof digests)[];

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The JSON with its host, commit and start time replaced by fixed markers. */
function withoutEnvironment(json: string): string {
  return json
    .replace(/"environment": \{[^}]*\}/, '"environment": "<host>"')
    .replace(/("provenance": \{[^}]*"commit": )"[0-9a-f]+"/, '$1"<commit>"')
    .replace(/("provenance": \{[^}]*"startedAt": )"[^"]*"/, '$1"<time>"');
}

describe('bundled scenarios write byte-identical reports', () => {
  for (const file of SCENARIOS) {
    it(file, async () => {
      await withTempDir(async (dir) => {
        const run = await runCli(['run', file, '--out', dir, '--quiet']);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const name = file.replace(/^.*\//, '').replace(/\.yaml$/, '');
        const csv = await readFile(join(dir, `${name}.csv`), 'utf8');
        const json = withoutEnvironment(await readFile(join(dir, `${name}.json`), 'utf8'));
        const actual = { csv: digest(csv), json: digest(json) };
        if (process.env.UPDATE_GOLDEN) {
          (digests as Record<string, unknown>)[file] = actual;
          const { writeFile } = await import('node:fs/promises');
          await writeFile('test/golden/digests.json', `${JSON.stringify(digests, null, 2)}\n`);
          return;
        }
        expect(actual).toEqual(digests[file]);
      });
    }, 120_000);
  }
});
