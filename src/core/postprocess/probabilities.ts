import { invert4, multiply4 } from "../volume/affine";
import { resampleLinear, resampleNearest, type Grid } from "../volume/grid";

/**
 * Softmax of one batch item's logits [K, H, W], written as bytes (0..255) into class-major
 * `probs` at the grid index `target(y, x)` gives (-1: outside the grid, skipped).
 */
export function softmaxToBytes(
  logits: Float32Array, item: number, K: number, H: number, W: number,
  target: (y: number, x: number) => number, probs: Uint8Array, n: number,
  /** Passes already averaged into `probs` (0: overwrite; p: the new probabilities weigh 1/(p+1)). */
  earlier = 0,
): void {
  const plane = H * W;
  const base = item * K * plane;
  const e = new Float32Array(K);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = target(y, x);
      if (d < 0) continue;
      const p = y * W + x;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, logits[base + k * plane + p]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += e[k] = Math.exp(logits[base + k * plane + p] - max);
      if (earlier === 0) for (let k = 0; k < K; k++) probs[k * n + d] = Math.round((255 * e[k]) / sum);
      else for (let k = 0; k < K; k++) probs[k * n + d] = Math.round((probs[k * n + d] * earlier + (255 * e[k]) / sum) / (earlier + 1));
    }
  }
}

/** True when every destination voxel centre is exactly a source voxel centre (axis permutations, flips, integer steps). */
function sharesVoxelCentres(src: Grid, dst: Grid): boolean {
  return multiply4(invert4(src.affine), dst.affine).every((v) => Math.abs(v - Math.round(v)) < 1e-4);
}

/**
 * The most probable class on the model grid, looked up at each `dst` voxel's nearest source
 * voxel: exact where the grids share voxel centres, else a quick approximation (a run's previews).
 */
export function argmaxNearest(probs: Uint8Array, K: number, src: Grid, dst: Grid): Uint8Array {
  const n = src.dims[0] * src.dims[1] * src.dims[2];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (probs[i] === 255) continue; // certain background: most of a volume, and every slice not yet run
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[k * n + i] > probs[best * n + i]) best = k;
    labels[i] = best;
  }
  return resampleNearest({ ...src, data: labels }, dst);
}

/** Resample each class's probability onto `dst` (trilinear) and keep the most probable class. */
export function argmaxOnGrid(probs: Uint8Array, K: number, src: Grid, dst: Grid): Uint8Array {
  const n = src.dims[0] * src.dims[1] * src.dims[2];
  // interpolation would only read the voxel itself: take the argmax there and look it up
  if (sharesVoxelCentres(src, dst)) return argmaxNearest(probs, K, src, dst);
  const m = dst.dims[0] * dst.dims[1] * dst.dims[2];
  const best = new Float32Array(m).fill(-1);
  const labels = new Uint8Array(m);
  for (let k = 0; k < K; k++) {
    // outside the model grid: background wins
    const p = resampleLinear({ ...src, data: probs.subarray(k * n, (k + 1) * n) }, dst, k === 0 ? 255 : 0);
    for (let i = 0; i < m; i++) {
      if (p[i] > best[i]) {
        best[i] = p[i];
        labels[i] = k;
      }
    }
  }
  return labels;
}
