/**
 * Seeded pseudo-random numbers for modeled noise. A small, fast generator is enough: the point is
 * a reproducible distribution across repetitions, not cryptographic quality.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/**
 * sfc32 seeded through splitmix32, so nearby seeds give unrelated streams. A class rather than a
 * closure: every generator then shares one `next`, which the boot-storm simulator's hot loop can
 * inline. A closure made per storm was a new call target each time, so its numbers came back
 * through a call V8 would not inline, each one a freshly allocated heap number.
 */
class Sfc32 implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix() | 0;
    this.b = splitmix() | 0;
    this.c = splitmix() | 0;
    this.d = splitmix() | 0;
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const a = this.a >>> 0;
    const b = this.b >>> 0;
    const c = this.c >>> 0;
    const d = this.d >>> 0;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    const c1 = (c + (c << 3)) | 0;
    this.b = c1;
    const c2 = (c << 21) | (c >>> 11);
    this.c = (c2 + t) | 0;
    return (t >>> 0) / 4294967296;
  }
}

export function createRandom(seed: number): Random {
  return new Sfc32(seed);
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
