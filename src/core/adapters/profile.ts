/**
 * A scan's contrast, measured: the median intensity of each tissue class, with the brain's
 * intensities scaled to 0..1 (2nd to 98th percentile of the voxels any class covers). T1 puts WM
 * brightest and CSF darkest, T2 the reverse, FLAIR darkens CSF but keeps GM above WM. An adapter
 * records the profiles of the scans it learnt from, so the app can say when an open scan does not
 * look like them: adapters make contrasts they never saw worse (issue 9, part 6).
 */
import type { VoxelArray } from "../volume/types";
import { nthSmallest } from "../util/select";

/** Class name → median scaled intensity (0..1), null when the class is absent. */
export type ContrastProfile = Record<string, number | null>;


/**
 * The profile of `scan` under `classes` (model classes on the scan's grid; 0 = background).
 * Typed arrays and selection instead of sorting; `maxVoxels` samples every k-th voxel (the page's
 * thread: ~100 ms for a whole 256×256×186 scan, a long task).
 */
export function contrastProfile(scan: ArrayLike<number> | VoxelArray, classes: ArrayLike<number>, classNames: string[], maxVoxels = Infinity): ContrastProfile {
  const K = classNames.length;
  const counts = new Int32Array(K);
  // one voxel at random in each run of `step` (a fixed stride could fall on one column of every row)
  const step = Math.max(1, Math.ceil(classes.length / maxVoxels));
  const picked = step === 1 ? null : sampleIndices(classes.length, step);
  const n = picked ? picked.length : classes.length;
  for (let j = 0; j < n; j++) {
    const i = picked ? picked[j] : j;
    const c = classes[i];
    if (c > 0 && c < K && Number.isFinite(scan[i])) counts[c]++;
  }
  // one array, one segment per class: the brain is all of it
  const start = new Int32Array(K + 1);
  for (let c = 1; c < K; c++) start[c + 1] = start[c] + counts[c];
  const brain = new Float64Array(start[K]);
  const fill = start.slice();
  for (let j = 0; j < n; j++) {
    const i = picked ? picked[j] : j;
    const c = classes[i];
    const v = scan[i];
    if (c > 0 && c < K && Number.isFinite(v)) brain[fill[c]++] = v;
  }
  const out: ContrastProfile = {};
  if (brain.length < 10) {
    for (const name of classNames.slice(1)) out[name] = null;
    return out;
  }
  const medians = Array.from({ length: K }, (_, c) => {
    const vs = brain.subarray(start[c], start[c + 1]);
    return c > 0 && vs.length >= 10 ? nthSmallest(vs.slice(), (vs.length - 1) >> 1) : null;
  });
  const at = (q: number) => nthSmallest(brain, Math.min(brain.length - 1, Math.floor(q * (brain.length - 1))));
  const lo = at(0.02), hi = at(0.98);
  const span = hi > lo ? hi - lo : 1;
  for (let c = 1; c < K; c++) {
    const median = medians[c];
    out[classNames[c]] = median === null ? null : Math.round(Math.min(1, Math.max(0, (median - lo) / span)) * 1000) / 1000;
  }
  return out;
}

/** One index drawn in each run of `step` voxels (a seeded generator: the same sample every time). */
function sampleIndices(length: number, step: number): Int32Array {
  const out = new Int32Array(Math.ceil(length / step));
  let seed = 1;
  let k = 0;
  for (let start = 0; start < length; start += step) {
    seed = (seed * 16807) % 2147483647;
    out[k++] = Math.min(length - 1, start + (seed % step));
  }
  return out;
}

/**
 * T1-like when WM is clearly brighter than GM, else the T2 / FLAIR / PD family. Measured on 14
 * scans (scripts/contrast-profiles.ts; model card): WM − GM is 0.20 to 0.50 on every T1 (FreeSurfer,
 * SPM, MS, BraTS T1c) and −0.24 to −0.04 on every T2, FLAIR and PD, under the base model's mask
 * or the reference; 0.08 sits between. Finer distinctions (T2 vs PD) do not separate reliably this
 * way: CSF's level under a predicted mask varies by 0.57 within one contrast. One more condition:
 * on T1 CSF is darker than GM (0.00–0.28 against 0.36–0.67 on all five), while an unmyelinated
 * fetal brain on T2 has WM brighter than its cortex and CSF brightest of all (fetal_sb under its
 * reference: CSF 0.82–0.85, GM 0.13–0.19, WM 0.30–0.41): bright CSF is no T1.
 */
export function contrastFamily(p: ContrastProfile): "T1-like" | "T2/FLAIR/PD-like" | null {
  const gm = p.GM, wm = p.WM, csf = p.CSF;
  if (gm == null || wm == null) return null;
  return wm - gm > 0.08 && (csf == null || csf < gm) ? "T1-like" : "T2/FLAIR/PD-like";
}
