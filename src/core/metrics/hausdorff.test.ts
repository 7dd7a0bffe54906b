import { describe, expect, it } from "vitest";
import type { Volume } from "../volume/types";
import { EXCLUDED, resolveConvention } from "./conventions";
import { alignReference, evaluate, evaluateAligned, hd95Task } from "./evaluate";
import { drain, drainSliced, hd95, percentileOfRoots, volumeError } from "./hausdorff";

// HD95 against an independent computation: surfaces by their definition, every pair of surface
// voxels compared (brute force), each direction's distances sorted and the 95th percentile read
// with linear interpolation, the larger of the two kept.
type Dims = [number, number, number];

function bruteHd95(pred: ArrayLike<number>, ref: ArrayLike<number>, dims: Dims, sp: Dims, c: number): number | null {
  const [nx, ny, nz] = dims;
  const at = (i: number, j: number, k: number) => i + nx * (j + ny * k);
  const surface = (a: ArrayLike<number>) => {
    const out: Dims[] = [];
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      if (a[at(i, j, k)] !== c) continue;
      const inside = (x: number, y: number, z: number) => x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz && a[at(x, y, z)] === c;
      if (![[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]].every(([di, dj, dk]) => inside(i + di, j + dj, k + dk))) out.push([i, j, k]);
    }
    return out;
  };
  const A = surface(pred), B = surface(ref);
  if (!A.length || !B.length) return null;
  const directed = (from: Dims[], to: Dims[]) =>
    from.map(([i, j, k]) => Math.min(...to.map(([x, y, z]) => Math.sqrt(((i - x) * sp[0]) ** 2 + ((j - y) * sp[1]) ** 2 + ((k - z) * sp[2]) ** 2))));
  const p95 = (d: number[]) => {
    const s = [...d].sort((a, b) => a - b);
    const rank = 0.95 * (s.length - 1), lo = Math.floor(rank);
    return lo === s.length - 1 ? s[lo] : s[lo] + (rank - lo) * (s[lo + 1] - s[lo]);
  };
  return Math.max(p95(directed(A, B)), p95(directed(B, A)));
}

/** A label volume: class `c` where `inside(x, y, z)` in mm holds (voxel centres at index × spacing). */
function phantom(dims: Dims, sp: Dims, shapes: { c: number; inside: (x: number, y: number, z: number) => boolean }[]): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(nx * ny * nz);
  let d = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, d++) {
    for (const s of shapes) if (s.inside(i * sp[0], j * sp[1], k * sp[2])) out[d] = s.c;
  }
  return out;
}
const sphere = (c: number, cx: number, cy: number, cz: number, r: number) => ({ c, inside: (x: number, y: number, z: number) => (x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= r * r });
const box = (c: number, [x0, y0, z0]: Dims, [x1, y1, z1]: Dims) => ({ c, inside: (x: number, y: number, z: number) => x >= x0 && x <= x1 && y >= y0 && y <= y1 && z >= z0 && z <= z1 });

function expectSame(pred: Uint8Array, ref: Uint8Array, dims: Dims, sp: Dims, K: number) {
  const fast = hd95(pred, ref, dims, sp, K);
  expect(fast[0]).toBeNull();
  for (let c = 1; c < K; c++) {
    const slow = bruteHd95(pred, ref, dims, sp, c);
    if (slow === null) expect(fast[c], `class ${c}`).toBeNull();
    else expect(fast[c], `class ${c}`).toBeCloseTo(slow, 9);
  }
  return fast;
}

describe("HD95 (exact distance transform) equals brute force on phantoms", () => {
  it("spheres of different radius, anisotropic voxels (0.8 × 1.1 × 2.5 mm)", () => {
    const dims: Dims = [24, 20, 10], sp: Dims = [0.8, 1.1, 2.5];
    const pred = phantom(dims, sp, [sphere(1, 9, 10, 12, 7)]);
    const ref = phantom(dims, sp, [sphere(1, 9.5, 10, 11, 5)]);
    const [, d] = expectSame(pred, ref, dims, sp, 2);
    // the radii differ by 2 mm: the surfaces are about that far apart
    expect(d).toBeGreaterThan(1);
    expect(d).toBeLessThan(4.5);
  });

  it("a cube shifted by 3 voxels along k (2 mm slices): HD95 = 6 mm", () => {
    const dims: Dims = [12, 12, 14], sp: Dims = [1, 1, 2];
    const pred = phantom(dims, sp, [box(1, [2, 2, 2], [8, 8, 12])]);
    const ref = phantom(dims, sp, [box(1, [2, 2, 8], [8, 8, 18])]);
    const [, d] = expectSame(pred, ref, dims, sp, 2);
    expect(d).toBeCloseTo(6, 12);
  });

  it("identical regions: 0; an empty class in either: null; classes apart", () => {
    const dims: Dims = [10, 9, 8], sp: Dims = [1.5, 1, 1.2];
    const a = phantom(dims, sp, [box(1, [0, 0, 0], [6, 4, 4]), sphere(2, 9, 5, 5, 3)]);
    const b = phantom(dims, sp, [box(1, [0, 0, 0], [6, 4, 4]), sphere(3, 9, 5, 5, 3)]);
    const d = expectSame(a, b, dims, sp, 4);
    expect(d).toEqual([null, 0, null, null]);
  });

  it("regions on the volume's edge count their edge voxels as surface", () => {
    const dims: Dims = [8, 8, 8], sp: Dims = [1, 1, 1];
    const full = new Uint8Array(512).fill(1);
    const part = phantom(dims, sp, [box(1, [0, 0, 0], [7, 7, 3])]);
    const [, d] = expectSame(full, part, dims, sp, 2);
    expect(d).toBeGreaterThan(0);
  });

  it("random blobs with noise, several classes, any spacing", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 6; trial++) {
      const dims: Dims = [8 + Math.floor(rand() * 10), 6 + Math.floor(rand() * 10), 4 + Math.floor(rand() * 8)];
      const sp: Dims = [0.5 + rand() * 2, 0.5 + rand() * 2, 0.5 + rand() * 3];
      const blobs = () => phantom(dims, sp, [1, 2, 3].map((c) => sphere(c, rand() * dims[0] * sp[0], rand() * dims[1] * sp[1], rand() * dims[2] * sp[2], 1 + rand() * 6)));
      const pred = blobs(), ref = blobs();
      for (let i = 0; i < pred.length; i++) if (rand() < 0.05) pred[i] = Math.floor(rand() * 4);
      expectSame(pred, ref, dims, sp, 4);
    }
  });

  it("the percentile: linear interpolation between order statistics", () => {
    const sq = Float64Array.from([16, 0, 9, 1, 4].map((v) => v)); // roots 4, 0, 3, 1, 2
    expect(percentileOfRoots(sq.slice(), 0.95)).toBeCloseTo(3 + 0.8 * 1, 12); // rank 3.8
    expect(percentileOfRoots(Float64Array.from([25]), 0.95)).toBe(5);
    expect(percentileOfRoots(Float64Array.from([4, 4, 4, 1]), 0.5)).toBe(2);
  });
});

describe("volume error", () => {
  it("is predicted − reference in mL and percent of the reference; no percent of an empty reference", () => {
    expect(volumeError(110, 100)).toEqual({ ml: 10, pct: 10 });
    expect(volumeError(90, 120).pct).toBeCloseTo(-25, 12);
    expect(volumeError(3, 0)).toEqual({ ml: 3, pct: null });
  });
});

describe("HD95 in evaluate: on the scored voxels only", () => {
  const names = ["background", "CSF", "GM", "WM"];
  const dims: Dims = [12, 10, 8], sp: Dims = [1, 1.5, 2];
  const affine = [sp[0], 0, 0, 0, 0, sp[1], 0, 0, 0, 0, sp[2], 0, 0, 0, 0, 1];
  const vol = (data: Uint8Array): Volume => ({ dims, affine, data });
  const pred = phantom(dims, sp, [box(1, [0, 0, 0], [11, 13.5, 14]), box(2, [3, 3, 3], [8, 9, 10]), sphere(3, 6, 7, 8, 3)]);
  const ref = phantom(dims, sp, [box(1, [0, 0, 0], [11, 13.5, 14]), box(2, [2, 3, 3], [8, 9, 12]), sphere(3, 6, 7.5, 8, 4)]);

  it("evaluate(..., { hd95: true }), hd95Task drained at once and in slices agree with brute force", async () => {
    const classes = resolveConvention({ classes: names.map((name) => ({ name })), labelConventions: ["tissue"] }, "tissue");
    const ev = evaluate(vol(pred), vol(ref), classes, names, 2, undefined, { hd95: true });
    for (const [c, name] of names.entries()) if (c) expect(ev.hd95Mm?.[name], name).toBeCloseTo(bruteHd95(pred, ref, dims, sp, c)!, 9);
    const aligned = alignReference(vol(ref), vol(pred), classes);
    expect(drain(hd95Task(vol(pred), aligned, names))).toEqual(ev.hd95Mm);
    let pauses = 0;
    const sliced = await drainSliced(hd95Task(vol(pred), aligned, names), async () => void pauses++, () => false, 0);
    expect(sliced).toEqual(ev.hd95Mm);
    expect(pauses).toBeGreaterThan(1);
    expect(await drainSliced(hd95Task(vol(pred), aligned, names), async () => {}, () => true)).toBeNull();
    // without the option, no HD95
    expect(evaluateAligned(vol(pred), aligned, "classes", names).hd95Mm).toBeUndefined();
  });

  it("excluded reference labels and voxels outside the reference's coverage count for no distance", () => {
    // FeTA leaves the cerebellum (label 3) unscored: its voxels are background in both
    const feta = resolveConvention({ classes: names.map((name) => ({ name })), labelConventions: ["feta"] }, "feta");
    const fetaRef = Uint8Array.from(ref, (v) => [0, 2, 5, 1][v]); // FeTA: 2 CSF, 5 GM, 1 WM
    const cerebellum = phantom(dims, sp, [box(3, [0, 0, 12], [11, 13.5, 14])]);
    for (let i = 0; i < fetaRef.length; i++) if (cerebellum[i]) fetaRef[i] = 3;
    const ev = evaluate(vol(pred), vol(fetaRef), feta, names, 2, undefined, { hd95: true });
    expect(ev.excluded.voxels).toBeGreaterThan(0);
    const aligned = alignReference(vol(fetaRef), vol(pred), feta);
    expect(aligned.classes.some((v) => v === EXCLUDED)).toBe(true);
    // the scored arrays, built by hand: excluded voxels zeroed in both
    const p = Uint8Array.from(pred), r = Uint8Array.from(aligned.classes);
    for (let i = 0; i < r.length; i++) if (r[i] === EXCLUDED) p[i] = r[i] = 0;
    for (const [c, name] of names.entries()) if (c) expect(ev.hd95Mm?.[name], name).toBeCloseTo(bruteHd95(p, r, dims, sp, c)!, 9);
    // had the prediction's CSF kept those voxels, its HD95 would differ
    const unblanked = Uint8Array.from(aligned.classes, (v) => (v === EXCLUDED ? 0 : v));
    expect(ev.hd95Mm?.CSF).not.toBeCloseTo(bruteHd95(pred, unblanked, dims, sp, 1)!, 3);
  });

  it("a reference covering part of the scan: the prediction beyond it is background", () => {
    const part: Volume = { dims: [12, 10, 5], affine, data: ref.slice(0, 12 * 10 * 5) };
    const classes = resolveConvention({ classes: names.map((name) => ({ name })), labelConventions: ["tissue"] }, "tissue");
    const ev = evaluate(vol(pred), part, classes, names, 2, undefined, { hd95: true });
    expect(ev.coverage).toBeCloseTo(5 / 8, 12);
    const p = Uint8Array.from(pred, (v, i) => (i < 12 * 10 * 5 ? v : 0));
    const r = Uint8Array.from(pred, (_, i) => (i < 12 * 10 * 5 ? ref[i] : 0));
    for (const [c, name] of names.entries()) if (c) expect(ev.hd95Mm?.[name], name).toBeCloseTo(bruteHd95(p, r, dims, sp, c)!, 9);
    expect(ev.hd95Mm?.CSF).not.toBeCloseTo(bruteHd95(pred, r, dims, sp, 1)!, 3);
  });
});
