import { describe, expect, it } from 'vitest';
import { median, percentile, sampleStddev, summarize, tQuantile975 } from '../engines/shared/stats.js';

describe('percentile', () => {
  it('interpolates linearly between closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 95)).toBe(48);
  });
  it('returns the only sample for any p', () => {
    expect(percentile([7], 99)).toBe(7);
  });
  it('refuses an empty sample', () => {
    expect(() => percentile([], 50)).toThrow();
  });
  it('keeps infinite samples infinite rather than NaN', () => {
    expect(percentile([1, Infinity, Infinity], 50)).toBe(Infinity);
    expect(percentile([1, 2, Infinity, Infinity], 50)).toBe(Infinity);
    expect(percentile([1, 2, Infinity, Infinity], 80)).toBe(Infinity);
  });
});

describe('median', () => {
  it('takes the middle sample, or the mean of the two middle ones, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('summarize', () => {
  it('computes exact statistics on a hand-made sample', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    expect(s.p50).toBe(4.5);
    // Sample variance: sum of squared deviations 32 over n - 1 = 7.
    expect(s.stddev).toBeCloseTo(Math.sqrt(32 / 7), 12);
    const half = (2.365 * Math.sqrt(32 / 7)) / Math.sqrt(8);
    expect(s.ci95Low).toBeCloseTo(5 - half, 12);
    expect(s.ci95High).toBeCloseTo(5 + half, 12);
  });
  it('gives a zero-width interval for a single sample', () => {
    const s = summarize([3]);
    expect(s.stddev).toBe(0);
    expect(s.ci95Low).toBe(3);
    expect(s.ci95High).toBe(3);
  });
  it('does not depend on sample order', () => {
    expect(summarize([3, 1, 2])).toEqual(summarize([1, 2, 3]));
  });
});

describe('tQuantile975', () => {
  it('matches the t table at small df and approaches 1.96', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(60)).toBeCloseTo(2.0003, 3);
    expect(tQuantile975(1e6)).toBeCloseTo(1.96, 3);
  });
  it('uses n - 1 for the sample standard deviation', () => {
    expect(sampleStddev([1, 3])).toBeCloseTo(Math.SQRT2, 12);
  });
});
