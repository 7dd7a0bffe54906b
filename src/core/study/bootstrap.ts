/**
 * The 95% bootstrap confidence interval of a mean (percentile method): the cases are resampled
 * with replacement B times by a seeded generator, so a study gives the same interval on every run
 * and when merged from shards (the values come in case-id order).
 */
import { seededRandom } from "../adapt/data";

/** Resamples: the interval's ends move by well under 0.001 Dice between seeds at this count. */
export const BOOTSTRAP_RESAMPLES = 10_000;
export const BOOTSTRAP_SEED = 2026;

/** Quantile q of sorted values, linear between order statistics (R's type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** [low, high] of the 95% percentile-bootstrap interval of the mean of `values`; null with fewer than two. */
export function bootstrapMeanCi(values: number[], resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED): [number, number] | null {
  const n = values.length;
  if (n < 2) return null;
  const rand = seededRandom(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.min(n - 1, Math.floor(rand() * n))];
    means[b] = sum / n;
  }
  means.sort();
  return [quantileSorted(means, 0.025), quantileSorted(means, 0.975)];
}
