import type { PreprocessStep } from "../manifest/schema";

/** Value at percentile p (0-100) of the values above `floor`, by a fine histogram (exact enough, O(n)). */
export function percentileAbove(data: ArrayLike<number>, floor: number, ps: number[], bins = 8192): number[] {
  let lo = Infinity, hi = -Infinity, n = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > floor) {
      n++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (n === 0) return ps.map(() => floor);
  if (hi === lo) return ps.map(() => lo);
  const hist = new Float64Array(bins);
  const scale = bins / (hi - lo);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > floor) hist[Math.min(bins - 1, Math.floor((v - lo) * scale))]++;
  }
  return ps.map((p) => {
    const target = (p / 100) * (n - 1);
    let cum = 0;
    for (let b = 0; b < bins; b++) {
      if (cum + hist[b] > target) return lo + (b + (target - cum) / hist[b]) / scale;
      cum += hist[b];
    }
    return hi;
  });
}

function minOf(data: Float32Array): number {
  let m = Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] < m) m = data[i];
  return m;
}

/** Apply the manifest's preprocessing steps in place. `floor`: values at or below it are background. */
export function preprocess(data: Float32Array, steps: PreprocessStep[], floor = minOf(data)): Float32Array {
  for (const step of steps) {
    if (step.kind === "percentileScale") {
      const [lo, hi] = percentileAbove(data, floor, [step.lower, step.upper]);
      const inv = 1 / Math.max(hi - lo, 1e-6);
      for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, (data[i] - lo) * inv));
    } else if (step.kind === "zscore") {
      let s = 0, s2 = 0, n = 0;
      for (let i = 0; i < data.length; i++) if (data[i] > floor) { s += data[i]; s2 += data[i] * data[i]; n++; }
      const mean = n ? s / n : 0;
      const sd = n ? Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12)) : 1;
      for (let i = 0; i < data.length; i++) data[i] = data[i] > floor ? (data[i] - mean) / sd : 0;
    }
    floor = -Infinity; // later steps see every voxel
  }
  return data;
}
