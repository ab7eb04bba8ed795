/**
 * Seeded pseudo-random numbers for modeled noise. A small, fast generator is enough: the point is
 * a reproducible distribution across repetitions, not cryptographic quality.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** sfc32 seeded through splitmix32, so nearby seeds give unrelated streams. */
export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return { next };
}

/** A standard normal deviate (Box–Muller). */
export function normal(random: Random): number {
  let u = 0;
  while (u === 0) u = random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A multiplicative noise factor with mean 1 and the given coefficient of variation. Timing noise
 * is right-skewed and never negative, which a log-normal captures and a normal does not.
 */
export function noiseFactor(random: Random, cov: number): number {
  if (cov <= 0) return 1;
  const sigma = Math.sqrt(Math.log(1 + cov * cov));
  return Math.exp(-0.5 * sigma * sigma + sigma * normal(random));
}

/** 32-bit FNV-1a of a string, for deriving stable per-cell seeds. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
