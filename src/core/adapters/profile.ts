/**
 * A scan's contrast, measured: the median intensity of each tissue class, with the brain's
 * intensities scaled to 0..1 (2nd to 98th percentile of the voxels any class covers). T1 puts WM
 * brightest and CSF darkest, T2 the reverse, FLAIR darkens CSF but keeps GM above WM. An adapter
 * records the profiles of the scans it learnt from, so the app can say when an open scan does not
 * look like them: adapters make contrasts they never saw worse (issue 9, part 6).
 */
import type { VoxelArray } from "../volume/types";

/** Class name → median scaled intensity (0..1), null when the class is absent. */
export type ContrastProfile = Record<string, number | null>;

/** The profile of `scan` under `classes` (model classes on the scan's grid; 0 = background). */
export function contrastProfile(scan: ArrayLike<number> | VoxelArray, classes: ArrayLike<number>, classNames: string[]): ContrastProfile {
  const K = classNames.length;
  const brain: number[] = [];
  const per: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    if (c <= 0 || c >= K) continue;
    const v = scan[i];
    if (!Number.isFinite(v)) continue;
    brain.push(v);
    per[c].push(v);
  }
  const out: ContrastProfile = {};
  if (brain.length < 10) {
    for (const name of classNames.slice(1)) out[name] = null;
    return out;
  }
  brain.sort((a, b) => a - b);
  const at = (q: number) => brain[Math.min(brain.length - 1, Math.floor(q * (brain.length - 1)))];
  const lo = at(0.02), hi = at(0.98);
  const span = hi > lo ? hi - lo : 1;
  for (let c = 1; c < K; c++) {
    const vs = per[c];
    if (vs.length < 10) {
      out[classNames[c]] = null;
      continue;
    }
    vs.sort((a, b) => a - b);
    const median = vs[Math.floor((vs.length - 1) / 2)];
    out[classNames[c]] = Math.round(Math.min(1, Math.max(0, (median - lo) / span)) * 1000) / 1000;
  }
  return out;
}

/**
 * T1-like when WM is clearly brighter than GM, else the T2 / FLAIR / PD family. Measured on 14
 * scans (scripts/contrast-profiles.ts; model card): WM − GM is 0.20 to 0.50 on every T1 (FreeSurfer,
 * SPM, MS, BraTS T1c) and −0.24 to −0.04 on every T2, FLAIR and PD, under the base model's mask
 * or the reference; 0.08 sits between. Finer distinctions (T2 vs PD) do not separate reliably this
 * way: CSF's level under a predicted mask varies by 0.57 within one contrast.
 */
export function contrastFamily(p: ContrastProfile): "T1-like" | "T2/FLAIR/PD-like" | null {
  const gm = p.GM, wm = p.WM;
  if (gm == null || wm == null) return null;
  return wm - gm > 0.08 ? "T1-like" : "T2/FLAIR/PD-like";
}
