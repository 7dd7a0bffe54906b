import type { PreprocessStep } from "../manifest/schema";

/** At most this many voxels enter a percentile (an even stride through the rest): bounded time and memory. */
export const MAX_SAMPLE = 4_000_000;

/**
 * Value at percentile p (0-100, numpy's linear rule) of the finite values above `floor`: exact
 * (sorted), over an even sample of at most MAX_SAMPLE of them. NaN and ±Infinity never count, and
 * a few extreme voxels (1e38) move a percentile by their rank only, never by their value.
 */
export function percentileAbove(data: ArrayLike<number>, floor: number, ps: number[]): number[] {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > floor && data[i] < Infinity) n++;
  if (n === 0) return ps.map(() => floor);
  const step = Math.max(1, Math.ceil(n / MAX_SAMPLE));
  const sample = new Float32Array(Math.ceil(n / step));
  for (let i = 0, k = 0, m = 0; i < data.length; i++) {
    const v = data[i];
    if (v > floor && v < Infinity && k++ % step === 0) sample[m++] = v;
  }
  // only the ranks the percentiles read are put in place (selectRanks): the same values as a sort, in a fraction of its time
  const at = (p: number) => {
    const t = (p / 100) * (sample.length - 1), lo = Math.floor(t);
    return { t, lo, hi: Math.min(lo + 1, sample.length - 1) };
  };
  selectRanks(sample, ps.flatMap((p) => [at(p).lo, at(p).hi]));
  return ps.map((p) => {
    const { t, lo, hi } = at(p);
    return sample[lo] + (t - lo) * (sample[hi] - sample[lo]);
  });
}

/**
 * Puts the values of the given ranks where a sort would put them (quickselect, Hoare's partition:
 * runs of equal voxel values split evenly), each rank in turn on the part above the last one.
 * Sorting 1.5 million voxels took 250 ms of every segmentation's preprocessing; this takes a few.
 */
export function selectRanks(a: Float32Array, ranks: number[]): void {
  let left = 0;
  for (const k of [...new Set(ranks)].sort((x, y) => x - y)) {
    let l = left, r = a.length - 1;
    while (l < r) {
      const x = a[k];
      let i = l, j = r;
      do {
        while (a[i] < x) i++;
        while (x < a[j]) j--;
        if (i <= j) {
          const v = a[i];
          a[i] = a[j];
          a[j] = v;
          i++;
          j--;
        }
      } while (i <= j);
      if (j < k) l = i;
      if (k < i) r = j;
    }
    left = k + 1;
  }
}

/** The smallest finite value (0 when there is none). */
export function finiteMin(data: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] < m && data[i] > -Infinity) m = data[i];
  return m === Infinity ? 0 : m;
}

/** Apply the manifest's preprocessing steps in place. `floor`: values at or below it are background. */
export function preprocess(data: Float32Array, steps: PreprocessStep[], floor = finiteMin(data)): Float32Array {
  for (const step of steps) {
    if (step.kind === "percentileScale") {
      const [lo, hi] = percentileAbove(data, floor, [step.lower, step.upper]);
      const inv = 1 / Math.max(hi - lo, 1e-6);
      for (let i = 0; i < data.length; i++) {
        const v = (data[i] - lo) * inv;
        data[i] = v >= 1 ? 1 : v > 0 ? v : 0; // NaN -> 0 (background)
      }
    } else if (step.kind === "zscore") {
      // mean and sd of the finite voxels above the floor, winsorised to their 0.05-99.95 percentiles:
      // one voxel of 1e38 must not become the scale of the whole scan
      const [a, b] = percentileAbove(data, floor, [0.05, 99.95]);
      let s = 0, s2 = 0, n = 0;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (!(v > floor && v < Infinity)) continue;
        const w = v < a ? a : v > b ? b : v;
        s += w;
        s2 += w * w;
        n++;
      }
      const mean = n ? s / n : 0;
      const sd = n ? Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12)) : 1;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        data[i] = v > floor && v < Infinity ? (Math.min(Math.max(v, a), b) - mean) / sd : 0;
      }
    }
    floor = -Infinity; // later steps see every voxel
  }
  return data;
}

/** "Extreme": over this many times the magnitude of the scan's signal. No scanner writes such a voxel. */
export const EXTREME_FACTOR = 1e6;

/** Voxels sampled (an even stride) to measure the signal's magnitude. */
const EXTREME_SAMPLE = 1 << 18;

/**
 * The magnitude above which a voxel is extreme (damage such as 1e38 or ±3.4e38 fill values), or
 * null when the scan has none. Extreme: over EXTREME_FACTOR times the signal's magnitude (the 75th
 * percentile of the nonzero magnitudes: damage up to a quarter of the signal's voxels does not move
 * it), and scattered: if most voxels above that are a coherent region instead (at least 3 of their
 * 6 face neighbours above it too), they are the signal itself over a background of near-zero
 * values, so the signal is measured among them and the test repeats.
 */
export function extremeThreshold(data: ArrayLike<number>, dims: readonly [number, number, number]): number | null {
  const [nx, ny] = dims;
  const len = data.length;
  const step = Math.max(1, Math.ceil(len / EXTREME_SAMPLE));
  let signal: number[] = [];
  for (let i = 0; i < len; i += step) {
    const m = Math.abs(data[i]);
    if (m > 0 && m < Infinity) signal.push(m);
  }
  const big = (j: number, t: number) => {
    const m = Math.abs(data[j]);
    return m > t && m < Infinity;
  };
  for (let round = 0; round < 4 && signal.length; round++) {
    signal.sort((a, b) => a - b);
    const t = signal[Math.floor(0.75 * (signal.length - 1))] * EXTREME_FACTOR;
    if (!(t < 3.4e38)) return null;
    let above = 0, coherent = 0;
    for (let i = 0; i < len; i++) {
      if (!big(i, t)) continue;
      above++;
      const x = i % nx, y = Math.floor(i / nx) % ny;
      const k = +(x > 0 && big(i - 1, t)) + +(x < nx - 1 && big(i + 1, t)) + +(y > 0 && big(i - nx, t)) + +(y < ny - 1 && big(i + nx, t)) + +(i >= nx * ny && big(i - nx * ny, t)) + +(i + nx * ny < len && big(i + nx * ny, t));
      if (k >= 3) coherent++;
    }
    if (!above) return null;
    if (coherent < above / 2) return t;
    signal = signal.filter((m) => m > t);
  }
  return null;
}
