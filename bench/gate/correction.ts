/**
 * Multiple-comparison control across a whole gate. A gate tests engines x metrics at once; at
 * α = 0.01 per check, 40 checks of pure noise would fail about one run in three. Adjusted
 * p-values are compared with each check's own α, which keeps the per-metric overrides meaningful.
 */

export type Correction = 'holm' | 'bh' | 'none';

export const CORRECTIONS: readonly Correction[] = ['holm', 'bh', 'none'];

export const CORRECTION_NAMES: Readonly<Record<Correction, string>> = {
  holm: 'Holm (family-wise error rate)',
  bh: 'Benjamini-Hochberg (false discovery rate)',
  none: 'no correction (per check)',
};

function ascendingOrder(pValues: readonly number[]): number[] {
  return pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]! || a - b);
}

/** Holm's step-down adjustment: controls the chance of any false failure, under any dependence. */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  let running = 0;
  ascendingOrder(pValues).forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}

/** Benjamini-Hochberg step-up adjustment: controls the expected share of false failures among failures. */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  const order = ascendingOrder(pValues);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank]!;
    running = Math.min(running, (m * pValues[index]!) / (rank + 1));
    adjusted[index] = Math.min(1, running);
  }
  return adjusted;
}

export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  if (correction === 'holm') return holmAdjust(pValues);
  if (correction === 'bh') return benjaminiHochbergAdjust(pValues);
  return [...pValues];
}
