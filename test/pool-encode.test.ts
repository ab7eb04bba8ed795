import { describe, expect, it } from 'vitest';
import type { CellBatch } from '../bench/run/batch.js';
import { encodeBatch } from '../bench/run/pool/encode.js';

const batch = (csv: string, json: string): CellBatch => ({ form: 'text', cells: [], csv, json, rowCount: 1 });
const decode = (buffer: ArrayBuffer, start: number, length: number): string =>
  new TextDecoder().decode(new Uint8Array(buffer, start, length));

describe('encoded batches', () => {
  it('hold the CSV bytes then the JSON bytes, multi-byte characters included', () => {
    const encoded = encodeBatch(batch('a,µs,×\n', '{"note":"≥ 1.7×"}'), []);
    expect(encoded.form).toBe('bytes');
    expect(encoded.csvBytes).toBe(Buffer.byteLength('a,µs,×\n'));
    expect(decode(encoded.buffer, 0, encoded.csvBytes)).toBe('a,µs,×\n');
    expect(decode(encoded.buffer, encoded.csvBytes, encoded.jsonBytes)).toBe('{"note":"≥ 1.7×"}');
  });

  it('reuse a spare buffer that is big enough and leave smaller ones spare', () => {
    const small = new ArrayBuffer(8);
    const big = new ArrayBuffer(1 << 20);
    const spare = [small, big];
    const encoded = encodeBatch(batch('x,y\n', '{}'), spare);
    expect(encoded.buffer).toBe(big);
    expect(spare).toEqual([small]);
  });

  it('get a new buffer of at least three bytes per character when no spare fits', () => {
    const text = '€'.repeat(600_000);
    const encoded = encodeBatch(batch(text, ''), [new ArrayBuffer(16)]);
    expect(encoded.buffer.byteLength).toBeGreaterThanOrEqual(3 * text.length);
    expect(encoded.csvBytes).toBe(3 * text.length);
    expect(decode(encoded.buffer, 0, encoded.csvBytes)).toBe(text);
  });
});
